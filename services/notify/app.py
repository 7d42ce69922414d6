"""Composition root of the notify service (deadlines and notifications)."""

from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from events.app import create_service_app
from events.backbone import Backbone
from events.kafka import events_topic
from events.settings import ServiceSettings
from notify.api import routers
from notify.dispatcher import Dispatcher
from notify.domain import WorkingCalendar
from notify.domain import events as _event_types  # noqa: F401  (registers the event types)
from notify.domain.delivery import RetryPolicy
from notify.domain.subscriptions import Channel
from notify.reactions import reactions
from notify.scheduler import Clock, Scheduler, SystemClock
from notify.senders import EmailSender, Sender, SmtpConfig, WebhookSender

NAME = "notify"
SUBSCRIBES_TO = [events_topic(s) for s in ["intake", "assessment", "referral", "archive"]]


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore", populate_by_name=True)

    port: int = 8005
    scheduler_idle_seconds: float = 5.0

    dispatcher_idle_seconds: float = 2.0  # a commit that queues deliveries wakes it at once
    delivery_retry_window_seconds: float = 24 * 3600.0
    delivery_backoff_base_seconds: float = 10.0
    delivery_backoff_cap_seconds: float = 3600.0
    delivery_per_target: int = 4
    delivery_max_in_flight: int = 200
    webhook_timeout_seconds: float = 10.0

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "careledger-notify@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 30.0

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            base_seconds=self.delivery_backoff_base_seconds,
            cap_seconds=self.delivery_backoff_cap_seconds,
            window_seconds=self.delivery_retry_window_seconds,
        )

    def smtp(self) -> SmtpConfig:
        password = self.smtp_password.get_secret_value() if self.smtp_password else None
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            sender=self.smtp_from,
            timeout_seconds=self.smtp_timeout_seconds,
            username=self.smtp_username,
            password=password,
        )


class NotifyDispatcher(Dispatcher):
    """The dispatcher with its own HTTP client, opened when it starts and closed when it stops."""

    def __init__(self, backbone: Backbone, settings: NotifySettings) -> None:
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )
        senders: dict[str, Sender] = {
            Channel.WEBHOOK.value: WebhookSender(self.client),
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
                backbone.uow,
                clock,
                calendar=calendar,
                idle_seconds=settings.scheduler_idle_seconds,
            ),
            lambda backbone: NotifyDispatcher(backbone, settings),
        ],
    )
    app.state.calendar, app.state.clock = calendar, clock
    return app
