"""Composition root of the notify service (deadlines and notifications)."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings

NAME = "notify"
SUBSCRIBES_TO = [events_topic(s) for s in ["intake", "assessment", "referral", "archive"]]


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    port: int = 8005


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(
        settings or NotifySettings(),  # type: ignore[call-arg]  # values come from the environment
        name=NAME,
        handlers={},
        subscribe=SUBSCRIBES_TO,
    )
