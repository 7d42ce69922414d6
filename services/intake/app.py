"""Composition root of the intake service:
reports, mandatory reports, cases, child registry, staff."""

from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings
from intake.api import closing, routers
from intake.domain import events as _event_types  # noqa: F401  (registers the intake event types)
from intake.domain.cases import domain_rule_of
from intake.reactions import HANDLERS

NAME = "intake"
# assessment's grades, tasks, plans and closures move a case and show on it; notify's clocks show
# on it (`intake.reactions`)
SUBSCRIBES_TO = [events_topic(s) for s in ["assessment", "referral", "archive", "notify"]]


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    port: int = 8001


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or IntakeSettings(),  # type: ignore[call-arg]  # values come from the environment
        name=NAME,
        routers=[*routers(), closing.router],
        handlers=HANDLERS,
        subscribe=SUBSCRIBES_TO,
        migrations=Path(__file__).parent / "migrations",
        domain_rule_of=domain_rule_of,
    )
