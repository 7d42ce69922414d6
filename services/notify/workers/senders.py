"""Adapters that carry one notification out: a signed webhook POST (httpx) or an e-mail
(aiosmtplib). Each raises `DeliveryError` with a short, content-free reason on failure; a
`final` one when trying again cannot help (a webhook target refused by policy)."""

import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import httpx

from events.domain import Refused
from notify.domain.delivery import (
    EVENT_TYPE_HEADER,
    NOTIFICATION_ID_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from notify.handlers.targets import STRICT, TargetPolicy


class DeliveryError(Exception):
    """The attempt failed; the message is recorded as the delivery's last error. `final`: do
    not try again."""

    def __init__(self, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


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
    """POSTs the JSON body with the signature headers; any 2xx is a delivery. The target's host
    is resolved and checked before every attempt (ARCHITECTURE, Security), since what it
    resolves to may have changed since it was subscribed."""

    def __init__(self, client: httpx.AsyncClient, targets: TargetPolicy | None = None) -> None:
        self.client = client
        self.targets = targets or STRICT

    async def send(self, outgoing: Outgoing) -> None:
        if outgoing.secret is None:
            raise DeliveryError("the subscription has no secret")
        url = _parsed(outgoing.target)
        address = await self._checked_address(url)
        body = outgoing.body.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature_header(outgoing.secret, int(time.time()), body),
            NOTIFICATION_ID_HEADER: outgoing.notification_id,
            EVENT_TYPE_HEADER: outgoing.event_type,
        }
        try:
            response = await self._post_to(address, url, body, headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if not response.is_success:
            raise DeliveryError(f"HTTP {response.status_code}")

    async def _post_to(
        self, address: str, url: httpx.URL, body: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        """POST to the address just checked, never to the name: a second lookup by the client
        could be answered with an address inside (DNS rebinding between check and connect).
        The name still goes in `Host` and, over TLS, as the server name the certificate is
        verified against (SNI)."""
        headers = {**headers, "Host": url.netloc.decode("ascii")}
        extensions = {}
        if url.scheme == "https":
            extensions["sni_hostname"] = url.raw_host.decode("ascii")
            # Connections are pooled by address: another name on the same address must not
            # reuse one whose certificate was verified for this name.
            headers["Connection"] = "close"
        pinned = url.copy_with(host=address)
        return await self.client.post(pinned, content=body, headers=headers, extensions=extensions)

    async def _checked_address(self, url: httpx.URL) -> str:
        """The first address of the target's host, once every one of them is public."""
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await self.targets.addresses(url.raw_host.decode("ascii"), port)
        except Refused as exc:
            raise DeliveryError(f"target refused: {exc}"[:300], final=True) from exc
        except (OSError, TimeoutError) as exc:
            raise DeliveryError(f"the target's host did not resolve: {type(exc).__name__}") from exc
        return addresses[0]


def _parsed(target: str) -> httpx.URL:
    try:
        url = httpx.URL(target)
    except httpx.InvalidURL as exc:
        raise DeliveryError("the target is no valid URL", final=True) from exc
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise DeliveryError("the target is no http(s) URL", final=True)
    return url


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
