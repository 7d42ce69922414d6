"""Composition root of the notify service (deadlines and notifications)."""

from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.kafka import events_topic
from events.settings import ServiceSettings
from notify import events as _event_types  # noqa: F401  (registers the event types)
from notify.api import routers
from notify.domain import WorkingCalendar
from notify.reactions import reactions
from notify.scheduler import Clock, Scheduler, SystemClock

NAME = "notify"
SUBSCRIBES_TO = [events_topic(s) for s in ["intake", "assessment", "referral", "archive"]]


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    port: int = 8005
    scheduler_idle_seconds: float = 5.0


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotifySettings()  # type: ignore[call-arg]  # values come from the environment
    calendar, clock = WorkingCalendar(), clock or SystemClock()
    app = create_service_app(
        settings,
        name=NAME,
        routers=routers(),
        handlers=reactions(calendar),
        subscribe=SUBSCRIBES_TO,
        migrations=Path(__file__).parent / "migrations",
        components=[
            lambda backbone: Scheduler(
                backbone.uow, clock, idle_seconds=settings.scheduler_idle_seconds
            )
        ],
    )
    app.state.calendar = calendar
    return app
