"""Composition root of the notify service (deadlines and notifications): the routers, the
reactions, the scheduler and the dispatcher with its senders, wired to one backbone."""

import logging
from pathlib import Path

import httpx
from fastapi import FastAPI

from events.api import now
from events.app import create_service_app
from events.backbone import Backbone
from events.kafka import events_topic
from notify.api import routers
from notify.domain import WorkingCalendar
from notify.domain import events as _event_types  # noqa: F401  (registers the event types)
from notify.domain.subscriptions import Channel
from notify.reactions import reactions
from notify.settings import NotifySettings
from notify.workers.dispatcher import Dispatcher
from notify.workers.scheduler import Clock, Scheduler, SystemClock
from notify.workers.senders import EmailSender, Sender, WebhookSender

NAME = "notify"
SUBSCRIBES_TO = [events_topic(s) for s in ["intake", "assessment", "referral", "archive"]]

__all__ = ["NotifySettings", "create_app"]

log = logging.getLogger(__name__)


class NotifyDispatcher(Dispatcher):
    """The dispatcher with its own HTTP client, opened when it starts and closed when it stops."""

    def __init__(self, backbone: Backbone, settings: NotifySettings) -> None:
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )
        senders: dict[str, Sender] = {
            Channel.WEBHOOK.value: WebhookSender(self.client, settings.webhook_targets()),
            Channel.EMAIL.value: EmailSender(settings.smtp()),
        }
        super().__init__(
            backbone.uow,
            backbone.keystore,
            senders,
            settings.retry_policy(),
            max_in_flight=settings.delivery_max_in_flight,
            per_target=settings.delivery_per_target,
            lease_seconds=max(60.0, 3 * settings.webhook_timeout_seconds),
            idle_seconds=settings.dispatcher_idle_seconds,
            wake_engine=backbone.engine,
        )

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await self.client.aclose()


def create_app(settings: NotifySettings | None = None, clock: Clock | None = None) -> FastAPI:
    """The notify app; a `clock` given here is read by the scheduler and the routes alike."""
    settings = settings or NotifySettings()  # type: ignore[call-arg]  # values come from the environment
    calendar = WorkingCalendar()
    app = create_service_app(
        settings,
        name=NAME,
        routers=routers(),
        handlers=reactions(calendar),
        subscribe=SUBSCRIBES_TO,
        migrations=Path(__file__).parent / "migrations",
        components=[
            lambda backbone: Scheduler(
                backbone.uow,
                clock or SystemClock(),
                calendar=calendar,
                idle_seconds=settings.scheduler_idle_seconds,
            ),
            lambda backbone: NotifyDispatcher(backbone, settings),
        ],
    )
    app.state.calendar = calendar
    app.state.webhook_targets = settings.webhook_targets()
    if settings.webhook_allow_loopback:
        log.warning("webhooks to loopback are allowed (NOTIFY_WEBHOOK_ALLOW_LOOPBACK): tests only")
    if clock is not None:
        app.dependency_overrides[now] = clock.now
    return app
