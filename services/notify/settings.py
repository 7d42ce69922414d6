"""Settings of the notify service (`NOTIFY_*` environment variables)."""

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from events.settings import ServiceSettings
from notify.domain.delivery import RetryPolicy
from notify.handlers.targets import TargetPolicy
from notify.workers.senders import SmtpConfig


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
    # For the project's own tests only (webhook receivers on 127.0.0.1): lets loopback
    # targets through. Private, link-local and every other address inside stay refused.
    webhook_allow_loopback: bool = False

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

    def webhook_targets(self) -> TargetPolicy:
        return TargetPolicy(allow_loopback=self.webhook_allow_loopback)

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
