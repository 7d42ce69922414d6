"""Staff ids per organisation across the read-model migration `intake_0006` (security issue item
5), against a real PostgreSQL: a person registered before it keeps their stream `worker-<id>`
(named in their registry row) and is still changed there; another organisation registering the
same id afterwards gets a stream and a row of its own. Intake's handlers are called as the
routes call them (no broker). Synthetic data only."""

from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import intake
from events import migrate
from events.crypto import FieldCipher
from events.kafka import events_topic
from events.keystore import KeyStore
from events.registry import registry
from events.store import EventStore
from events.uow import UnitOfWork
from intake.domain import Gender
from intake.domain.events import Qualification, StaffRole, WorkerRegistered
from intake.domain.staff import RecordBackgroundCheck, RegisterWorker
from intake.handlers import staff
from intake.handlers.shared import load
from tests.integration.intake_support import CTX

MIGRATIONS = Path(intake.__file__).parent / "migrations"
VERSIONS = "alembic_version_intake"
ROWS = text(
    "SELECT organisation, stream_id, background_check_clean FROM staff"
    " WHERE worker_id = :w ORDER BY organisation"
)


def registration(org: str, worker_id: str, name: str) -> WorkerRegistered:
    return WorkerRegistered(
        worker_id=worker_id,
        organisation=org,
        role=StaffRole.WORKER,
        name=name,
        gender=Gender.FEMALE,
        qualifications=[Qualification.SOCIAL_WORKER],
        years_in_child_services=3,
    )


async def test_a_person_registered_before_ids_were_per_organisation_keeps_their_stream(
    database_url: str, keystore: KeyStore
) -> None:
    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    async with engine.begin() as conn:  # the read models as they were before intake_0006
        await conn.run_sync(
            lambda c: command.upgrade(
                migrate.alembic_config(MIGRATIONS, VERSIONS, c), "intake_0005"
            )
        )
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/intake")

    def uows() -> UnitOfWork:
        return UnitOfWork(engine, store, events_topic("intake"))

    worker, first, second = f"w-{uuid4().hex[:6]}", "org-synthetic-a", "org-synthetic-b"
    legacy = f"worker-{worker}"
    async with uows() as uow:  # registered then: stream `worker-<id>`, row keyed by the id
        await uow.append(
            legacy, 0, [registration(first, worker, "合成甲")], CTX.metadata, key_scope=legacy
        )
        await uow.conn.execute(
            text(
                "INSERT INTO staff (worker_id, organisation, role, name, gender, qualifications,"
                " years_in_child_services, suspended, version, registered_at) VALUES (:w, :o,"
                " 'worker', '合成甲', 'female', '[\"social_worker\"]', 3, false, 1, now())"
            ),
            {"w": worker, "o": first},
        )
        await uow.commit()
    await migrate.upgrade_tree(engine, MIGRATIONS, VERSIONS)

    today = datetime.now(UTC).date()
    check = RecordBackgroundCheck(
        organisation=first, worker_id=worker, checked_on=today, clean=True, today=today
    )
    async with uows() as uow:
        await staff.record_background_check(check, uow, CTX)
    theirs = RegisterWorker(
        worker_id=worker,
        organisation=second,
        role=StaffRole.WORKER,
        name="合成乙",
        gender=Gender.MALE,
        qualifications=frozenset(),
        years_in_child_services=1,
    )
    async with uows() as uow:
        await staff.register_worker(theirs, uow, CTX)

    async with uows() as uow:
        kept = [e.type for e in (await load(uow, legacy)).envelopes]
        new = [e.type for e in (await load(uow, staff.worker_stream(second, worker))).envelopes]
        rows = (await uow.conn.execute(ROWS, {"w": worker})).all()
    await engine.dispose()
    assert kept == ["intake.worker.registered.v1", "intake.worker.background_check_recorded.v2"]
    assert new == ["intake.worker.registered.v1"]
    assert [tuple(r) for r in rows] == [
        (first, legacy, True),
        (second, staff.worker_stream(second, worker), None),
    ]
