"""Adapters that carry one notification out: a signed webhook POST (httpx) or an e-mail
(aiosmtplib). Each raises `DeliveryError` with a short, content-free reason on failure."""

import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

from notify.domain.delivery import (
    EVENT_TYPE_HEADER,
    NOTIFICATION_ID_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)


class DeliveryError(Exception):
    """The attempt failed; the message is recorded as the delivery's last error."""


@dataclass(frozen=True)
class Outgoing:
    notification_id: str
    event_type: str
    target: str
    body: str
    title: str
    text: str
    secret: str | None


class Sender(Protocol):
    async def send(self, outgoing: Outgoing) -> None: ...


class WebhookSender:
    """POSTs the JSON body with the signature headers; any 2xx is a delivery."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, outgoing: Outgoing) -> None:
        if outgoing.secret is None:
            raise DeliveryError("the subscription has no secret")
        body = outgoing.body.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature_header(outgoing.secret, int(time.time()), body),
            NOTIFICATION_ID_HEADER: outgoing.notification_id,
            EVENT_TYPE_HEADER: outgoing.event_type,
        }
        try:
            response = await self.client.post(outgoing.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code}")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    timeout_seconds: float
    username: str | None = None
    password: str | None = None
    start_tls: bool | None = None  # None: use STARTTLS when the server offers it


class EmailSender:
    """Sends the notification's title and text as a plain UTF-8 e-mail."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    async def send(self, outgoing: Outgoing) -> None:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = outgoing.target
        message["Subject"] = outgoing.title
        message["Message-ID"] = f"<{outgoing.notification_id}@careledger.notify>"
        message["CareLedger-Notification-Id"] = outgoing.notification_id
        message.set_content(outgoing.text, charset="utf-8")
        try:
            await aiosmtplib.send(
                message,
                hostname=self.config.host,
                port=self.config.port,
                timeout=self.config.timeout_seconds,
                username=self.config.username,
                password=self.config.password,
                start_tls=self.config.start_tls,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
