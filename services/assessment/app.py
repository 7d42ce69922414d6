"""Composition root of the assessment service:
risk grading, mental-health service, plans, sessions, closure."""

from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from assessment.api import routers
from assessment.domain import events as _event_types  # noqa: F401  (registers the event types)
from assessment.domain.rulebook import domain_rule_of
from assessment.reactions import HANDLERS
from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings

NAME = "assessment"
SUBSCRIBES_TO = [events_topic(s) for s in ["intake", "referral"]]


class AssessmentSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSESSMENT_", extra="ignore", populate_by_name=True
    )

    port: int = 8002


def create_app(settings: AssessmentSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or AssessmentSettings(),  # type: ignore[call-arg]  # values come from the environment
        name=NAME,
        routers=routers(),
        handlers=HANDLERS,
        subscribe=SUBSCRIBES_TO,
        migrations=Path(__file__).parent / "migrations",
        domain_rule_of=domain_rule_of,
    )
