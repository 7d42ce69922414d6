"""Composition root of the archive service (one archive per child, access register, handover)."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings

NAME = "archive"
# The topics it will react to, once it has handlers. Until then it subscribes to nothing: a
# consumer group that handles nothing would commit its offsets past every event, and once
# handlers came it would start at the end of each topic and miss the whole history.
REACTS_TO = [events_topic(s) for s in ["intake", "assessment", "referral", "notify"]]


class ArchiveSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ARCHIVE_", extra="ignore", populate_by_name=True)

    port: int = 8004


def create_app(settings: ArchiveSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or ArchiveSettings(),  # type: ignore[call-arg]  # values come from the environment
        name=NAME,
    )
