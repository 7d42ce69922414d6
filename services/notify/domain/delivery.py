"""Delivery arithmetic: the webhook signature, retry backoff and when to give up. Pure.

Signature: HMAC-SHA256 with the subscription's secret over `"<unix timestamp>.<body>"`, sent
as `CareLedger-Signature: t=<timestamp>,v1=<hex>`; the timestamp lets a receiver refuse replays.
Backoff: exponential with full jitter (a uniform draw between 0 and `base * 2**attempt`, capped),
so receivers coming back after an outage are not hit by every sender at once.
"""

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

SIGNATURE_HEADER = "CareLedger-Signature"
NOTIFICATION_ID_HEADER = "CareLedger-Notification-Id"
EVENT_TYPE_HEADER = "CareLedger-Event-Type"


@dataclass(frozen=True)
class RetryPolicy:
    base_seconds: float
    cap_seconds: float
    window_seconds: float  # retry until this long after the notification was queued

    def delay(self, attempt: int, draw: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1 = the first)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** min(attempt - 1, 60))
        share = random.random() if draw is None else draw
        return ceiling * share

    def next_attempt(
        self, queued_at: datetime, now: datetime, attempt: int, draw: float | None = None
    ) -> datetime | None:
        """When to try again after failed attempt `attempt`, or None: the window is over."""
        give_up_at = queued_at + timedelta(seconds=self.window_seconds)
        if now >= give_up_at:
            return None
        return min(now + timedelta(seconds=self.delay(attempt, draw)), give_up_at)


@dataclass(frozen=True)
class RecordAttempt:
    """The outcome of one attempt to send a notification: `error` is None when delivered;
    `final` when trying again cannot help (a target refused by policy): given up at once."""

    notification_id: str
    error: str | None
    at: datetime
    final: bool = False


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance_seconds: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    stamp, given = parts.get("t", ""), parts.get("v1", "")
    if not stamp.isdigit() or abs(now - int(stamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, int(stamp), body), given)
