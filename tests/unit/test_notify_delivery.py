"""Webhook signatures, the retry schedule of notify's deliveries (pure arithmetic) and how many
deliveries the dispatcher takes per target (with hand-written stand-ins, no database)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from events.uow import UnitOfWork
from notify.domain.delivery import RetryPolicy, sign, signature_header, verify
from notify.workers.dispatcher import Dispatcher

BODY = '{"notification_id":"n-syn-1","message":{"text":"强制报告"}}'.encode()
NOW = 1_795_000_000


def test_a_signature_verifies_with_the_secret_and_fails_with_another() -> None:
    header = signature_header("secret-syn-1", NOW, BODY)
    assert header == f"t={NOW},v1={sign('secret-syn-1', NOW, BODY)}"
    assert verify("secret-syn-1", header, BODY, now=NOW + 10)
    assert not verify("secret-syn-2", header, BODY, now=NOW + 10)


def test_a_changed_body_or_an_old_timestamp_fails_verification() -> None:
    header = signature_header("secret-syn-1", NOW, BODY)
    assert not verify("secret-syn-1", header, BODY + b" ", now=NOW)
    assert not verify("secret-syn-1", header, BODY, now=NOW + 301)
    assert not verify("secret-syn-1", "v1=abc", BODY, now=NOW)


def test_the_backoff_grows_exponentially_up_to_its_cap_with_full_jitter() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=3600, window_seconds=86400)
    assert [policy.delay(n, draw=1.0) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert policy.delay(20, draw=1.0) == 3600
    assert policy.delay(3, draw=0.0) == 0
    assert all(0 <= policy.delay(5) <= 160 for _ in range(200))


def test_no_retry_is_planned_once_the_window_has_passed_and_none_beyond_it() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=3600, window_seconds=86400)
    queued = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    late = queued + timedelta(hours=23, minutes=59)
    assert policy.next_attempt(queued, late, 12, draw=1.0) == queued + timedelta(hours=24)
    assert policy.next_attempt(queued, queued + timedelta(hours=24), 13) is None
    early = policy.next_attempt(queued, queued + timedelta(seconds=1), 1, draw=0.5)
    assert early == queued + timedelta(seconds=6)


class NoKeys:
    async def key_for_writing(self, scope: str) -> bytes:
        raise AssertionError("no key store in a unit test")

    async def key_for_reading(self, scope: str) -> bytes:
        raise AssertionError("no key store in a unit test")


def no_database() -> UnitOfWork:
    raise AssertionError("no database in a unit test")


def test_the_dispatcher_takes_only_as_many_deliveries_as_each_target_has_room_for() -> None:
    policy = RetryPolicy(base_seconds=1, cap_seconds=1, window_seconds=10)
    dispatcher = Dispatcher(no_database, NoKeys(), {}, policy, per_target=2)
    dispatcher._per_target["https://dead.example/hook"] = 1
    rows = [
        SimpleNamespace(target=t)
        for t in ["https://dead.example/hook"] * 3 + ["https://ok.example/hook"] * 3
    ]
    taken = [r.target for r in dispatcher._fit(rows)]
    assert taken == ["https://dead.example/hook"] + ["https://ok.example/hook"] * 2
