"""Notify's webhooks against the real PostgreSQL and real HTTP receivers on loopback: queued in
the transaction of the event that causes them, signed, retried with backoff, given up after
the (shortened) window, and never held up by another receiver. All data is synthetic.

The receivers are a minimal HTTP/1.1 server on `asyncio.start_server` (127.0.0.1, port 0) that
answers as each test tells it and records every request it got. Loopback is refused as a
webhook target (ARCHITECTURE, Security); these tests allow it with the test setting
(`TargetPolicy(allow_loopback=True)`, `NOTIFY_WEBHOOK_ALLOW_LOOPBACK`), which still refuses
every other address inside the network.
"""

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import devissuer, kafka, migrate
from events.canonical import GENESIS_HASH
from events.consumer import ConsumerRunner
from events.context import Context
from events.crypto import FieldCipher
from events.envelope import Envelope, Metadata, make_envelope
from events.keystore import KeyStore
from events.registry import registry
from events.store import EventStore, NewEvent
from events.uow import UnitOfWork
from notify.api import subscriptions as subscriptions_api
from notify.app import create_app  # noqa: F401  (the composition root must load)
from notify.domain import WorkingCalendar
from notify.domain.delivery import RetryPolicy, verify
from notify.domain.events import SubscriptionCreated
from notify.domain.subscriptions import (
    Channel,
    CreateSubscription,
    Language,
    secret_scope,
    stream_of,
)
from notify.handlers import record
from notify.handlers import subscriptions as subscribing
from notify.handlers.targets import TargetPolicy
from notify.projections.tables import deliveries, subscriptions
from notify.reactions import reactions
from notify.workers.dispatcher import Dispatcher
from notify.workers.scheduler import Scheduler
from notify.workers.senders import Sender, WebhookSender
from tests.integration.harness import eventually, served

ORG = "org-synthetic-1"
FILED = "intake.mandatory_report.filed"
HANDLERS = reactions(WorkingCalendar())
LOOPBACK_ALLOWED = TargetPolicy(allow_loopback=True)  # the receivers listen on 127.0.0.1


@dataclass
class Request:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A webhook endpoint on loopback. `answer(n)` gives the status of the n-th request
    (1-based); None never answers (a hung receiver)."""

    answer: Callable[[int], int | None] = lambda n: 200
    requests: list[Request] = field(default_factory=list)
    server: asyncio.Server | None = None
    tls: ssl.SSLContext | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> "Receiver":
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(30):
                await self._serve(reader, writer)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()  # request line
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append(Request(headers, body, time.monotonic()))
        status = self.answer(len(self.requests))
        if status is None:
            await asyncio.sleep(30)  # hung: never answers (the sender times out)
            return
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()

    def accepted(self) -> list[Request]:
        return [r for n, r in enumerate(self.requests, 1) if self.answer(n) == 200]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


@dataclass
class Notify:
    engine: AsyncEngine
    store: EventStore
    keystore: KeyStore
    topic: str = "careledger.notify.events.v1"
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.store, self.topic)

    async def handle(self, envelope: Envelope, *, claim: bool = True) -> None:
        async with self.uow() as uow:
            if not claim or await uow.claim("notify", envelope):
                await HANDLERS[envelope.event_name](envelope, uow)
            await uow.commit()

    async def subscribe(
        self,
        target: str,
        *,
        agency: str | None = None,
        channel: Channel = Channel.WEBHOOK,
        events: tuple[str, ...] = (FILED,),
        language: Language = Language.ZH,
    ) -> tuple[str, str | None]:
        command = CreateSubscription(ORG, agency, channel, target, list(events), language)
        ctx = Context(Metadata(actor="dev-supervisor"))
        async with self.uow() as uow:
            return await subscribing.create(command, uow, ctx, targets=LOOPBACK_ALLOWED)

    async def subscribe_unchecked(self, target: str) -> str:
        """A subscription recorded as before targets were checked (kept from an older release)."""
        subscription_id = str(uuid4())
        created = SubscriptionCreated(
            subscription_id=subscription_id,
            organisation=ORG,
            agency=None,
            channel=Channel.WEBHOOK.value,
            target=target,
            event_types=[FILED],
            language=Language.ZH.value,
            secret="synthetic-secret-" + uuid4().hex,
            created_by="dev-supervisor",
        )
        async with self.uow() as uow:
            meta = Metadata(actor="dev-supervisor")
            key_scope = secret_scope(subscription_id)
            stream = stream_of(subscription_id)
            await record(uow, stream, [NewEvent(created)], meta, key_scope=key_scope)
            await uow.commit()
        return subscription_id

    def dispatcher(self, senders: dict[str, Sender], **kw: Any) -> Dispatcher:
        policy = kw.pop("policy", RetryPolicy(0.05, 0.2, 30))
        kw.setdefault("idle_seconds", 0.05)
        made = Dispatcher(self.uow, self.keystore, senders, policy, **kw)
        self.tasks.append(asyncio.create_task(made.run()))
        return made

    async def deliveries(self, **where: str) -> list[Any]:
        query = select(deliveries).where(*(getattr(deliveries.c, k) == v for k, v in where.items()))
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def stream(self, stream_id: str) -> list[Envelope]:
        async with self.engine.connect() as conn:
            return await self.store.read_stream(conn, stream_id)


@pytest.fixture
async def notify(
    database_url: str, keystore: KeyStore, receivers: object, webhooks: object
) -> AsyncIterator[Notify]:
    """Asks for the receivers and the HTTP client so that they outlive its tasks: pytest
    tears this fixture down (cancelling the dispatcher) before closing them."""
    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    await migrate.upgrade_tree(engine, Path("services/notify/migrations"), "alembic_version_notify")
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/notify")
    made = Notify(engine, store, keystore)
    yield made
    for task in made.tasks:
        task.cancel()
    await asyncio.gather(*made.tasks, return_exceptions=True)
    await engine.dispose()


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Any]]:
    made: list[Receiver] = []

    async def make(
        answer: Callable[[int], int | None] = lambda n: 200, tls: ssl.SSLContext | None = None
    ) -> Receiver:
        made.append(await Receiver(answer, tls=tls).start())
        return made[-1]

    yield make
    for receiver in made:
        await receiver.close()


@pytest.fixture
async def webhooks() -> AsyncIterator[WebhookSender]:
    async with httpx.AsyncClient(timeout=3, trust_env=False) as client:
        yield WebhookSender(client, LOOPBACK_ALLOWED)


def mandatory_report(
    report_id: str | None = None, recipients: tuple[str, ...] = ("police", "civil_affairs")
) -> Envelope:
    """`intake.mandatory_report.filed` as intake stores it (place and harm sealed)."""
    report_id = report_id or f"report-{uuid4().hex[:10]}"
    filed_at = datetime.now(UTC)
    data = {
        "report_id": report_id,
        "organisation": ORG,
        "child_id": f"child-{report_id}",
        "filed_at": filed_at.isoformat(),
        "filed_by": "worker-synthetic-1",
        "recipients": [
            {"key": k, "name": k, "contact": None, "rule": "SZ-5.2.1"} for k in recipients
        ],
        "grounds": [],
        "triggers": [4],
        "emergency": True,
        "occurred_at": None,
        "place": {"$enc": "c2VhbGVk"},
        "harm": {"$enc": "c2VhbGVk"},
        "warnings": [],
    }
    return make_envelope(
        source="/careledger/intake",
        event_type=f"{FILED}.v1",
        dataschema=f"urn:careledger:schema:{FILED}.v1",
        stream_id=report_id,
        version=2,
        meta=Metadata(actor="worker-synthetic-1"),
        key_scope=f"child-{report_id}",
        data=data,
        prev_hash=GENESIS_HASH,
        time=filed_at,
    )


def ids(receiver: Receiver) -> list[str]:
    return [r.headers["careledger-notification-id"] for r in receiver.requests]


async def test_a_receiver_that_fails_twice_then_recovers_gets_the_notification_exactly_once(
    notify, receivers, webhooks
):
    receiver = await receivers(lambda n: 500 if n <= 2 else 200)
    await notify.subscribe(receiver.url)
    envelope = mandatory_report()
    await notify.handle(envelope)
    await notify.handle(envelope, claim=False)  # a redelivery past the inbox queues nothing new
    notify.dispatcher({"webhook": webhooks})

    async def delivered() -> bool:
        return [d.state for d in await notify.deliveries()] == ["delivered"]

    await eventually(delivered, within=15)
    await asyncio.sleep(0.3)  # nothing more arrives after the delivery
    assert len(receiver.requests) == 3 and len(set(ids(receiver))) == 1
    assert len(receiver.accepted()) == 1
    (row,) = await notify.deliveries()
    assert row.attempts == 3 and row.last_error == "HTTP 500"
    (event,) = await notify.stream(f"notification-{row.notification_id}")
    assert event.type == "notify.notification.delivered.v1" and event.data["attempts"] == 3


async def test_a_hung_receiver_does_not_delay_another_receivers_deliveries(
    notify, receivers, webhooks
):
    hung, healthy = await receivers(lambda n: None), await receivers()
    await notify.subscribe(hung.url, agency="police")
    await notify.subscribe(healthy.url, agency="civil_affairs")
    for _ in range(5):  # five to each, more than the dispatcher may have in flight at once
        await notify.handle(mandatory_report())
    started = time.monotonic()
    notify.dispatcher({"webhook": webhooks}, per_target=1, max_in_flight=3)

    async def healthy_got_all() -> bool:
        return len(healthy.requests) == 5

    await eventually(healthy_got_all, within=10, every=0.02)
    assert time.monotonic() - started < 2  # the hung one holds each request for 3 s
    assert len(hung.requests) == 1  # one at a time per target: the others wait their turn
    assert {d.state for d in await notify.deliveries(target=hung.url)} == {"pending"}


async def test_a_commit_that_queues_a_notification_wakes_an_idle_dispatcher_at_once(
    notify, receivers, webhooks
):
    receiver = await receivers()
    await notify.subscribe(receiver.url)
    notify.dispatcher({"webhook": webhooks}, idle_seconds=60, wake_engine=notify.engine)
    await asyncio.sleep(0.5)  # it has found nothing and sleeps for a minute, unless woken
    started = time.monotonic()
    await notify.handle(mandatory_report())

    async def received() -> bool:
        return len(receiver.requests) == 1

    await eventually(received, within=10, every=0.02)
    assert time.monotonic() - started < 2


async def test_the_signature_verifies_with_the_subscriptions_secret_and_fails_with_another(
    notify, receivers, webhooks
):
    receiver = await receivers()
    subscription_id, secret = await notify.subscribe(receiver.url)
    assert secret is not None
    envelope = mandatory_report()
    await notify.handle(envelope)
    notify.dispatcher({"webhook": webhooks})

    async def received() -> bool:
        return len(receiver.requests) == 1

    await eventually(received, within=10)
    (request,) = receiver.requests
    header = request.headers["careledger-signature"]
    now = int(time.time())
    assert verify(secret, header, request.body, now)
    assert not verify("another-secret", header, request.body, now)
    assert request.headers["careledger-event-type"] == FILED
    body = json.loads(request.body)
    assert body["notification_id"] == request.headers["careledger-notification-id"]
    assert body["source_event_id"] == envelope.id and body["subscription_id"] == subscription_id
    assert body["message"]["language"] == "zh" and "强制报告" in body["message"]["title"]
    assert "place" not in body["data"] and "harm" not in body["data"]


async def test_a_receiver_that_never_recovers_is_given_up_after_the_window_with_its_last_error(
    notify, receivers, webhooks
):
    receiver = await receivers(lambda n: 503)
    await notify.subscribe(receiver.url)
    await notify.handle(mandatory_report())
    notify.dispatcher({"webhook": webhooks}, policy=RetryPolicy(0.05, 0.2, 1.0))

    async def failed() -> bool:
        return [d.state for d in await notify.deliveries()] == ["failed"]

    await eventually(failed, within=15)
    (row,) = await notify.deliveries()
    assert row.attempts >= 3 and row.attempts == len(receiver.requests)
    (event,) = await notify.stream(f"notification-{row.notification_id}")
    assert event.type == "notify.notification.failed.v1"
    assert event.data["last_error"] == "HTTP 503" and event.data["attempts"] == row.attempts


async def test_a_mandatory_report_calls_the_police_and_civil_affairs_webhooks_at_once(
    notify, receivers, webhooks
):
    police, civil, court = await receivers(), await receivers(), await receivers()
    await notify.subscribe(police.url, agency="police")
    await notify.subscribe(civil.url, agency="civil_affairs")
    await notify.subscribe(court.url, agency="court")  # not a recipient of this report
    envelope = mandatory_report()
    await notify.handle(envelope)
    notify.dispatcher({"webhook": webhooks})

    async def both_called() -> bool:
        return len(police.requests) == 1 and len(civil.requests) == 1

    await eventually(both_called, within=10, every=0.02)
    assert abs(police.requests[0].at - civil.requests[0].at) < 0.5
    assert court.requests == []
    report_id = envelope.data["report_id"]
    clock = await notify.stream(f"deadline-mandatory_report.acknowledgement-{report_id}")
    assert [e.type for e in clock] == ["notify.deadline.set.v3"] * 2  # one per recipient
    assert sorted(e.data["party"] for e in clock) == ["civil_affairs", "police"]


async def test_an_unacknowledged_mandatory_report_is_escalated_to_the_organisations_endpoint(
    notify, receivers, webhooks
):
    own, police = await receivers(), await receivers()
    await notify.subscribe(own.url, events=("notify.escalated", "notify.reminder.sent"))
    await notify.subscribe(police.url, agency="police", events=(FILED, "notify.escalated"))
    envelope = mandatory_report()
    await notify.handle(envelope)
    later = datetime.now(UTC) + timedelta(hours=2)
    # each recipient's clock runs out on its own (SZ-5.2.1)
    assert await Scheduler(notify.uow, SimpleNamespace(now=lambda: later)).tick() == 2
    notify.dispatcher({"webhook": webhooks})

    async def escalated() -> bool:
        return len(own.requests) == 2 and len(police.requests) == 1

    await eventually(escalated, within=10)
    bodies = [json.loads(r.body) for r in own.requests]
    assert {b["event_type"] for b in bodies} == {"notify.escalated"}
    assert {b["data"]["rule"] for b in bodies} == {"mandatory_report.acknowledgement"}
    assert sorted(b["data"]["party"] for b in bodies) == ["civil_affairs", "police"]
    assert bodies[0]["data"]["roles"] == ["supervisor", "org_admin"]
    assert json.loads(police.requests[0].body)["event_type"] == FILED  # not the escalation


def bearer(role: str, org: str = ORG, agency: str | None = None) -> dict[str, str]:
    token = devissuer.issue_token(role, org=org, agency=agency)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(notify, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    backbone = SimpleNamespace(engine=notify.engine, uow=notify.uow, keystore=notify.keystore)
    async with served(tmp_path_factory, subscriptions_api.router, backbone=backbone) as client:
        yield client


async def test_the_secret_is_returned_at_creation_only_and_stored_sealed(notify, api):
    body = {
        "channel": "webhook",
        "target": "https://hooks.police.example/careledger",
        "event_types": [FILED],
    }
    created = await api.post(
        "/v1/subscriptions", json=body, headers=bearer("partner", agency="police")
    )
    assert created.status_code == 201, created.text
    secret, subscription_id = created.json()["secret"], created.json()["subscription_id"]
    assert len(secret) >= 32 and created.json()["agency"] == "police"
    assert created.headers["cache-control"] == "no-store"
    shown = await api.get(f"/v1/subscriptions/{subscription_id}", headers=bearer("supervisor"))
    assert shown.status_code == 200 and "secret" not in shown.json()
    listed = await api.get("/v1/subscriptions", headers=bearer("partner", agency="police"))
    assert [s["subscription_id"] for s in listed.json()] == [subscription_id]
    async with notify.engine.connect() as conn:
        query = select(subscriptions).where(subscriptions.c.subscription_id == subscription_id)
        row = (await conn.execute(query)).one()
        (event,) = await notify.store.read_stream(conn, f"subscription-{subscription_id}")
    assert secret not in json.dumps(row.secret_token) and secret not in json.dumps(event.data)
    assert (await notify.store.decode(event)).secret == secret


async def test_subscriptions_are_refused_to_workers_other_agencies_and_bad_targets(notify, api):
    body = {"channel": "webhook", "target": "https://h.example/x", "event_types": [FILED]}

    async def status(payload: dict[str, Any], headers: dict[str, str]) -> int:
        return (await api.post("/v1/subscriptions", json=payload, headers=headers)).status_code

    assert await status(body, bearer("worker")) == 403
    assert await status({**body, "agency": "court"}, bearer("partner", agency="police")) == 403
    assert await status({**body, "organisation": "org-other"}, bearer("supervisor")) == 403
    plain_http = {**body, "target": "http://h.example/x"}
    assert await status(plain_http, bearer("supervisor")) == 422
    assert (
        await status({**body, "event_types": ["intake.report.received"]}, bearer("org_admin"))
        == 422
    )


async def test_a_deleted_subscription_gets_nothing_more_and_its_secret_is_shredded(
    notify, api, receivers
):
    receiver = await receivers()
    subscription_id, _ = await notify.subscribe(receiver.url)
    await notify.handle(mandatory_report())
    response = await api.delete(f"/v1/subscriptions/{subscription_id}", headers=bearer("org_admin"))
    assert response.status_code == 204
    assert [d.state for d in await notify.deliveries()] == ["cancelled"]
    assert await notify.keystore.is_shredded(f"subscription:{subscription_id}")
    missing = await api.get(f"/v1/subscriptions/{subscription_id}", headers=bearer("org_admin"))
    assert missing.status_code == 404


async def test_a_mandatory_report_consumed_from_kafka_reaches_police_and_civil_affairs(
    notify, receivers, webhooks, new_topic, bootstrap
):
    police, civil = await receivers(), await receivers()
    await notify.subscribe(police.url, agency="police")
    await notify.subscribe(civil.url, agency="civil_affairs")
    source, dlq = await new_topic(3), await new_topic(1)
    runner = ConsumerRunner(
        name=f"notify-{uuid4().hex[:8]}",
        topics=[source],
        handlers=HANDLERS,
        uow_factory=notify.uow,
        consumer_factory=lambda t: kafka.make_consumer(bootstrap, f"notify-{source}", t, "n"),
        producer_factory=lambda: kafka.make_producer(bootstrap, "notify-dlq"),
        dlq_topic=dlq,
        backoff_seconds=0.05,
    )
    notify.tasks.append(asyncio.create_task(runner.run()))
    notify.dispatcher({"webhook": webhooks})
    envelope = mandatory_report()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        wire = json.dumps(envelope.to_wire()).encode()
        for _ in range(2):  # a duplicate on the topic is skipped by the inbox
            await producer.send_and_wait(source, wire, key=envelope.subject.encode())
    finally:
        await producer.stop()

    async def both_delivered() -> bool:
        states = [d.state for d in await notify.deliveries()]
        return states == ["delivered", "delivered"]

    await eventually(both_delivered, within=30)
    assert len(police.requests) == 1 and len(civil.requests) == 1


NOT_PUBLIC = [
    "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "http://127.0.0.1:8001/v1/reports",  # intake, beside notify
    "https://10.20.30.40/hook",
    "https://192.168.1.20/hook",
    "https://[::1]/hook",
    "https://localhost/hook",  # a name resolving to loopback
    "https://224.0.0.251/hook",  # multicast
    "https://[ff02::1]/hook",
    "https://[::ffff:169.254.169.254]/hook",  # IPv4-mapped
    "https://0.0.0.0:8001/hook",  # reaches the local host on Linux
    "https://2130706433:8001/hook",  # 127.0.0.1 as one number
]


@pytest.mark.parametrize("target", NOT_PUBLIC)
async def test_a_webhook_target_inside_the_network_is_refused_at_subscribe(notify, api, target):
    body = {"channel": "webhook", "target": target, "event_types": [FILED]}
    response = await api.post("/v1/subscriptions", json=body, headers=bearer("supervisor"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["rule"] == "ARCHITECTURE-security"
    (violation,) = problem["violations"]
    assert (violation["code"], violation["field"]) == ("webhook_target_not_public", "target")
    listed = await api.get("/v1/subscriptions", headers=bearer("supervisor"))
    assert listed.json() == []


async def test_the_test_setting_allows_loopback_and_still_refuses_the_rest_inside(notify, api):
    api.app.state.webhook_targets = LOOPBACK_ALLOWED  # type: ignore[attr-defined]

    async def status(target: str) -> int:
        body = {"channel": "webhook", "target": target, "event_types": [FILED]}
        return (
            await api.post("/v1/subscriptions", json=body, headers=bearer("supervisor"))
        ).status_code

    assert await status("http://127.0.0.1:9/hook") == 201
    assert await status("https://localhost/hook") == 201
    for inside in ("https://169.254.169.254/x", "https://10.0.0.1/x", "https://[fe80::1]/x"):
        assert await status(inside) == 422


async def test_a_target_no_longer_allowed_is_not_called_and_fails_with_the_reason(
    notify, receivers
):
    """Subscribed while loopback was allowed; the dispatcher now refuses it: no request."""
    receiver = await receivers()
    await notify.subscribe(receiver.url)
    await notify.handle(mandatory_report())
    async with httpx.AsyncClient(timeout=3, trust_env=False) as client:
        notify.dispatcher({"webhook": WebhookSender(client, TargetPolicy())})

        async def failed() -> bool:
            return [d.state for d in await notify.deliveries()] == ["failed"]

        await eventually(failed, within=10)
    assert receiver.requests == []
    (row,) = await notify.deliveries()
    assert row.attempts == 1 and "loopback" in row.last_error
    (event,) = await notify.stream(f"notification-{row.notification_id}")
    assert event.type == "notify.notification.failed.v1"
    assert "not public" in event.data["last_error"]


async def test_a_target_stored_before_targets_were_checked_is_refused_at_delivery(
    notify, receivers, webhooks
):
    """`0.0.0.0:<port>` reaches a receiver on 127.0.0.1; it is refused even where loopback
    is allowed, as it was never checked when it was stored."""
    receiver = await receivers()
    await notify.subscribe_unchecked(f"http://0.0.0.0:{receiver.port}/hook")
    await notify.handle(mandatory_report())
    notify.dispatcher({"webhook": webhooks})

    async def failed() -> bool:
        return [d.state for d in await notify.deliveries()] == ["failed"]

    await eventually(failed, within=10)
    await asyncio.sleep(0.2)
    assert receiver.requests == []
    (row,) = await notify.deliveries()
    assert row.attempts == 1 and "not public" in row.last_error


async def test_the_request_goes_to_the_address_that_was_checked_with_the_name_as_host(
    notify, receivers
):
    """No second lookup between the check and the connection (DNS rebinding): the name is
    resolved once, by the resolver the check used; here DNS itself is stood in for by a
    resolver that knows a name the system's DNS does not, so a second lookup would fail."""
    receiver = await receivers()
    port = receiver.port
    lookups: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"] if host == "hooks.synthetic.invalid" else []

    targets = TargetPolicy(allow_loopback=True, resolve=resolve)
    await notify.subscribe_unchecked(f"http://hooks.synthetic.invalid:{port}/hook")
    await notify.handle(mandatory_report())
    async with httpx.AsyncClient(timeout=3, trust_env=False) as client:
        notify.dispatcher({"webhook": WebhookSender(client, targets)})

        async def delivered() -> bool:
            return [d.state for d in await notify.deliveries()] == ["delivered"]

        await eventually(delivered, within=10)
    (request,) = receiver.requests
    assert request.headers["host"] == f"hooks.synthetic.invalid:{port}"
    assert lookups == ["hooks.synthetic.invalid"]  # once, by the check


def tls_pair(directory: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for `name`: the receiver's context and a client's trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


async def test_over_tls_the_checked_address_is_called_and_the_names_certificate_verified(
    notify, receivers, tmp_path
):
    """Pinning the address keeps TLS whole: the name is sent as the server name (SNI) and the
    certificate is verified against it, and the connection is not kept for another name."""
    name = "hooks.synthetic.invalid"
    server_tls, client_tls = tls_pair(tmp_path, name)
    server_names: list[str | None] = []
    server_tls.sni_callback = lambda _socket, sent, _context: server_names.append(sent)
    receiver = await receivers(tls=server_tls)

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == name else []

    targets = TargetPolicy(allow_loopback=True, resolve=resolve)
    await notify.subscribe_unchecked(f"https://{name}:{receiver.port}/hook")
    await notify.handle(mandatory_report())
    async with httpx.AsyncClient(timeout=3, trust_env=False, verify=client_tls) as client:
        notify.dispatcher({"webhook": WebhookSender(client, targets)})

        async def delivered() -> bool:
            return [d.state for d in await notify.deliveries()] == ["delivered"]

        await eventually(delivered, within=10)
    (request,) = receiver.requests
    assert server_names == [name]
    assert request.headers["host"] == f"{name}:{receiver.port}"
    assert request.headers["connection"] == "close"


LONG = "x" * 300_000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "https://h.example/" + LONG}, "target"),
        ({"target": "https://h.example/" + "a" * 2031}, "target"),  # 2,049 characters
        ({"target": "https://h.example/\nX-Injected: 1"}, "target"),
        ({"event_types": [LONG]}, "event_types.0"),
        ({"event_types": [FILED] * 21}, "event_types"),
        ({"agency": LONG}, "agency"),
        ({"organisation": LONG}, "organisation"),
        ({"language": "x" * 1000}, "language"),
        ({"channel": "sms"}, "channel"),
    ],
)
async def test_absurd_subscription_fields_are_422_problems_that_do_not_echo_them(
    notify, api, change, field
):
    body = {"channel": "webhook", "target": "https://h.example/x", "event_types": [FILED], **change}
    response = await api.post("/v1/subscriptions", json=body, headers=bearer("supervisor"))
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/validation-error")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert LONG not in response.text


async def test_an_absurd_subscription_id_is_a_422_problem(api):
    path = "/v1/subscriptions/" + "s" * 60_000
    for method in ("GET", "DELETE"):
        response = await api.request(method, path, headers=bearer("supervisor"))
        assert response.status_code == 422, response.text[:300]
        assert response.headers["content-type"].startswith("application/problem+json")
