"""Composition root of the intake service:
reports, mandatory reports, cases, child registry, staff."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings

NAME = "intake"
SUBSCRIBES_TO = [events_topic(s) for s in ["assessment", "referral", "archive"]]


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", populate_by_name=True)

    port: int = 8001


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or IntakeSettings(),  # type: ignore[call-arg]  # values come from the environment
        name=NAME,
        handlers={},
        subscribe=SUBSCRIBES_TO,
    )
