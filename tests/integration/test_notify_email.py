"""Notify's e-mail channel against a real SMTP server (aiosmtpd on 127.0.0.1) and the real
PostgreSQL: the subscription's language picks the text, Chinese by default. Synthetic data."""

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from notify.domain.subscriptions import Channel, Language
from notify.workers.senders import EmailSender, SmtpConfig
from tests.integration.harness import eventually
from tests.integration.test_notify_webhooks import (  # noqa: F401  (fixtures)
    mandatory_report,
    notify,
    receivers,
    webhooks,
)

SENDER = "careledger-notify@org-synthetic.example"


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps every message it is given."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, SmtpConfig]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, SmtpConfig("127.0.0.1", port, SENDER, timeout_seconds=5)
    finally:
        controller.stop()


async def test_a_mandatory_report_reaches_the_duty_desk_by_email_in_chinese(notify, smtp):  # noqa: F811
    mailbox, config = smtp
    await notify.subscribe("duty-desk@police.example", agency="police", channel=Channel.EMAIL)
    envelope = mandatory_report()
    await notify.handle(envelope)
    notify.dispatcher({"email": EmailSender(config)})

    async def received() -> bool:
        return len(mailbox.messages) == 1

    await eventually(received, within=10)
    (message,) = mailbox.messages
    report_id = envelope.data["report_id"]
    assert message["Subject"] == f"【强制报告】报告 {report_id}"
    assert message["To"] == "duty-desk@police.example" and message["From"] == SENDER
    text = message.get_content()
    assert "提交强制报告" in text and "请立即受理并确认" in text
    (row,) = await notify.deliveries()
    assert row.state == "delivered" and message["CareLedger-Notification-Id"] == row.notification_id


async def test_an_english_subscription_gets_the_english_text(notify, smtp):  # noqa: F811
    mailbox, config = smtp
    await notify.subscribe(
        "desk@civil.example", agency="civil_affairs", channel=Channel.EMAIL, language=Language.EN
    )
    await notify.handle(mandatory_report())
    notify.dispatcher({"email": EmailSender(config)})

    async def received() -> bool:
        return len(mailbox.messages) == 1

    await eventually(received, within=10)
    assert mailbox.messages[0]["Subject"].startswith("[Mandatory report]")
    assert "acknowledge it at once" in mailbox.messages[0].get_content()


async def test_an_unreachable_smtp_server_is_retried_then_given_up_with_its_error(notify):  # noqa: F811
    from notify.domain.delivery import RetryPolicy

    await notify.subscribe("desk@police.example", agency="police", channel=Channel.EMAIL)
    await notify.handle(mandatory_report())
    closed = SmtpConfig("127.0.0.1", free_port(), SENDER, timeout_seconds=2)
    notify.dispatcher({"email": EmailSender(closed)}, policy=RetryPolicy(0.05, 0.2, 0.8))

    async def failed() -> bool:
        return [d.state for d in await notify.deliveries()] == ["failed"]

    await eventually(failed, within=15)
    (row,) = await notify.deliveries()
    assert row.attempts >= 2 and "SMTPConnect" in row.last_error
