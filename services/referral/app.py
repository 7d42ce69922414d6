"""Composition root of the referral service:
referrals, case conferences, placements, protection orders."""

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings

NAME = "referral"
SUBSCRIBES_TO = [events_topic(s) for s in ["intake", "assessment"]]


class ReferralSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REFERRAL_", extra="ignore", populate_by_name=True)

    port: int = 8003


def create_app(settings: ReferralSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or ReferralSettings(),  # type: ignore[call-arg]  # values come from the environment
        name=NAME,
        handlers={},
        subscribe=SUBSCRIBES_TO,
    )
