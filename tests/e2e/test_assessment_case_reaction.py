"""Assessment's reactions to intake's events (`intake.case.opened`, the staff registry, the
child registry) and the grading, tasks and reviews that rely on them, against a real PostgreSQL
(the event store, key store and read models of a throwaway database; no broker: each handler is
called as the consumer runner calls it)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

import assessment
from assessment.domain.assessment_review import ReviewAssessment
from assessment.domain.events import Assessor, SafetyRiskGraded
from assessment.domain.safety_assessment import GradeSafetyRisk
from assessment.domain.safety_risk import SafetyRiskInput
from assessment.domain.safety_tasks import CancelTask, CompleteTask
from assessment.handlers import review, safety, tasks
from assessment.handlers.shared import NotVisible, Sent
from assessment.handlers.tasks import tasks_stream
from assessment.projections.queries import case_row, review_item
from assessment.projections.queries_tasks import tasks_of
from assessment.projections.tables import cases
from assessment.reactions import HANDLERS
from events import migrate
from events.canonical import GENESIS_HASH
from events.context import Context
from events.crypto import FieldCipher, is_token
from events.domain import Refused
from events.envelope import Envelope, Metadata, make_envelope, new_id
from events.errors import ConcurrencyError
from events.kafka import events_topic
from events.keystore import KeyStore
from events.registry import registry
from events.store import EventStore
from events.tables import outbox
from events.uow import UnitOfWork
from tests.e2e.assessment_support import case_opened, intake_event

MIGRATIONS = Path(assessment.__file__).parent / "migrations"
ON_CASE_OPENED = HANDLERS["intake.case.opened"]
ORG = "org-synthetic-a"
WOMAN = Assessor(worker_id="w-synthetic-f1", gender="female")
MAN = Assessor(worker_id="w-synthetic-m1", gender="male")
OTHER_MAN = Assessor(worker_id="w-synthetic-m2", gender="male")
NOTE = "合成测试备注：监护人同意接受家庭教育指导。"  # synthetic free text

Uows = Callable[[], UnitOfWork]


@pytest.fixture
async def uows(database_url: str, keystore: KeyStore) -> AsyncIterator[Uows]:
    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    await migrate.upgrade_tree(engine, MIGRATIONS, "alembic_version_assessment")
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/assessment")
    yield lambda: UnitOfWork(engine, store, events_topic("assessment"))
    await engine.dispose()


async def react(uows: Uows, envelope: Envelope) -> None:
    async with uows() as uow:
        await HANDLERS[envelope.event_name](envelope, uow)
        await uow.commit()


async def register(uows: Uows, who: Assessor, organisation: str = ORG, clean: bool = True) -> None:
    """Intake registers the worker (qualified) and records their yearly check."""
    staff = {"worker_id": who.worker_id, "organisation": organisation}
    registered = {
        **staff,
        "role": "worker",
        "name": "合成姓名",
        "gender": who.gender,
        "qualifications": ["social_worker"],
        "years_in_child_services": 3,
    }
    checked = {**staff, "checked_on": "2025-03-01", "clean": clean, "rule": "MZ-7.1.3"}
    await react(uows, intake_event("intake.worker.registered", registered, who.worker_id))
    await react(
        uows, intake_event("intake.worker.background_check_recorded", checked, who.worker_id)
    )


@pytest.fixture
async def team(uows: Uows) -> Uows:
    """`uows` with WOMAN, MAN and OTHER_MAN registered and cleared in ORG."""
    for who in (WOMAN, MAN, OTHER_MAN):
        await register(uows, who)
    return uows


def grading(
    case_id: str, organisation: str, *assessors: Assessor, child_gender: str | None = None
) -> GradeSafetyRisk:
    return GradeSafetyRisk.model_validate(
        {
            "case_id": case_id,
            "assessment_id": str(uuid4()),
            "organisation": organisation,
            "assessed_at": datetime(2025, 6, 2, 10, 0, tzinfo=UTC),
            "child_gender": child_gender,
            "assessors": assessors,
            "inputs": SafetyRiskInput.model_validate({"b2": {"neglect": "C"}}),
            "notes": NOTE,
        }
    )


def acting(actor: str) -> Context:
    return Context(Metadata(actor=actor))


async def grade(uows: Uows, command: GradeSafetyRisk) -> Any:
    async with uows() as uow:
        return await safety.grade(command, uow, acting("dev-worker"))


async def close_task(uows: Uows, sent: Sent[Any], actor: str) -> Any:
    """Complete or cancel a task as the route does: in a unit of work the handler commits."""
    handler = tasks.complete if isinstance(sent.command, CompleteTask) else tasks.cancel
    async with uows() as uow:
        return await handler(sent, uow, acting(actor))


async def record_review(uows: Uows, command: ReviewAssessment, org: str, actor: str) -> Any:
    async with uows() as uow:
        return await review.review(Sent(command, org), uow, acting(actor))


async def test_an_opened_case_is_recorded_with_its_organisation_and_child(uows):
    case_id = f"case-{uuid4()}"
    opened = case_opened(case_id, "org-synthetic-a")
    await react(uows, opened)
    async with uows() as uow:
        row = await case_row(uow.conn, case_id)
    assert (row.organisation, row.child_id) == ("org-synthetic-a", opened.data["child_id"])
    assert row.child_gender is None  # intake does not publish it yet


async def test_a_redelivered_case_opened_changes_nothing(uows):
    case_id = f"case-{uuid4()}"
    await react(uows, case_opened(case_id, "org-synthetic-a"))
    await react(uows, case_opened(case_id, "org-synthetic-b"))
    async with uows() as uow:
        count = await uow.conn.scalar(
            select(func.count()).select_from(cases).where(cases.c.case_id == case_id)
        )
        row = await case_row(uow.conn, case_id)
    assert (count, row.organisation) == (1, "org-synthetic-a")


async def test_a_case_opened_without_an_organisation_is_refused_for_retry_and_dead_letter(uows):
    broken = case_opened(f"case-{uuid4()}", "org-synthetic-a")
    data = {k: v for k, v in broken.data.items() if k != "organisation"}
    with pytest.raises(ValidationError):
        await react(uows, broken.model_copy(update={"data": data}))


async def test_only_the_organisation_that_opened_the_case_may_grade_it(team):
    uows = team
    case_id = f"case-{uuid4()}"
    await react(uows, case_opened(case_id, "org-synthetic-a"))
    with pytest.raises(NotVisible):
        await grade(uows, grading(case_id, "org-synthetic-b", WOMAN, MAN, child_gender="male"))
    row = await grade(uows, grading(case_id, "org-synthetic-a", WOMAN, MAN, child_gender="male"))
    assert (row.grade, row.child_gender_source) == ("C", "request")


async def test_a_gender_published_with_the_case_decides_the_team_rule(team):
    uows = team
    case_id = f"case-{uuid4()}"
    await react(uows, case_opened(case_id, "org-synthetic-a", child_gender="female"))
    with pytest.raises(Refused) as refused:
        await grade(uows, grading(case_id, "org-synthetic-a", MAN, OTHER_MAN))
    assert [v.code for v in refused.value.violations] == ["no_female_assessor"]
    row = await grade(uows, grading(case_id, "org-synthetic-a", WOMAN, MAN))
    assert row.child_gender_source == "intake.case.opened"


async def test_a_grade_is_stored_with_encrypted_notes_and_queued_for_kafka_under_the_case(team):
    uows = team
    case_id = f"case-{uuid4()}"
    row = await grade(uows, grading(case_id, "org-synthetic-a", WOMAN, MAN, child_gender="female"))
    async with uows() as uow:
        [stored] = await uow.store.read_stream(uow.conn, safety.SAFETY.stream(case_id))
        event = await uow.store.decode(stored)
        queued = (
            await uow.conn.execute(select(outbox).where(outbox.c.event_id == stored.id))
        ).one()
    assert stored.id == row.event_id and stored.key_scope == case_id
    assert stored.data["notes"] != NOTE and NOTE not in str(stored.data)
    assert isinstance(event, SafetyRiskGraded) and event.notes == NOTE
    assert (queued.topic, queued.key) == ("careledger.assessment.events.v1", case_id)


# --- tasks from the grade (SZ-6.4, R-SZ-B-10) -------------------------------------------------


async def test_a_grade_sets_its_tasks_on_the_case_and_a_regrade_cancels_them_first(team):
    case_id = f"case-{uuid4()}"
    first = await grade(team, grading(case_id, ORG, WOMAN, MAN, child_gender="female"))
    second = await grade(team, grading(case_id, ORG, WOMAN, MAN, child_gender="female"))
    async with team() as uow:
        stored = await uow.store.read_stream(uow.conn, tasks_stream(case_id))
        rows = await tasks_of(uow.conn, case_id)
        keys = (
            (
                await uow.conn.execute(
                    select(outbox.c.key).where(outbox.c.event_id.in_([e.id for e in stored]))
                )
            )
            .scalars()
            .all()
        )
    actions = len(first.result["required_actions"])
    kinds = [e.type for e in stored]
    assert (
        kinds
        == ["assessment.task.set.v1"] * actions
        + ["assessment.task.cancelled.v1"] * actions
        + ["assessment.task.set.v1"] * actions
    )
    assert {e.key_scope for e in stored} == {case_id} and set(keys) == {case_id}
    by_status = {(r.status, r.source_event_id) for r in rows}
    assert by_status == {("cancelled", first.event_id), ("open", second.event_id)}
    assert {r.reason_code for r in rows if r.status == "cancelled"} == {"superseded"}


async def test_an_open_task_is_completed_once(team):
    case_id = f"case-{uuid4()}"
    await grade(team, grading(case_id, ORG, WOMAN, MAN, child_gender="female"))
    async with team() as uow:
        task = (await tasks_of(uow.conn, case_id, "open"))[0]
    at = datetime.now(UTC)
    command = CompleteTask(case_id=case_id, task_id=task.task_id, completed_at=at, now=at)

    def done(org: str = ORG) -> Any:
        return close_task(team, Sent(command, org), WOMAN.worker_id)

    row = await done()
    assert (row.status, row.closed_at, row.closed_by) == ("completed", at, WOMAN.worker_id)
    with pytest.raises(Refused):
        await done()
    with pytest.raises(NotVisible):
        await done("org-synthetic-b")


async def test_a_task_whose_condition_does_not_hold_is_cancelled_with_the_reason(team):
    case_id = f"case-{uuid4()}"
    await grade(team, grading(case_id, ORG, WOMAN, MAN, child_gender="female"))
    async with team() as uow:
        task = (await tasks_of(uow.conn, case_id, "open"))[0]
    command = CancelTask(case_id=case_id, task_id=task.task_id, reason_code="not_applicable")
    row = await close_task(team, Sent(command, ORG), "sup-synthetic-1")
    assert (row.status, row.reason_code, row.closed_by) == (
        "cancelled",
        "not_applicable",
        "sup-synthetic-1",
    )
    async with team() as uow:
        [*_, last] = await uow.store.read_stream(uow.conn, tasks_stream(case_id))
    assert (last.type, last.data["reason_code"]) == (
        "assessment.task.cancelled.v1",
        "not_applicable",
    )


# --- assessors from intake's staff registry (MZ-6.2.2, MZ-7.1.3) ------------------------------


async def test_an_unregistered_worker_may_not_assess(uows):
    await register(uows, WOMAN)
    with pytest.raises(Refused) as refused:
        await grade(uows, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_not_registered"]


async def test_a_worker_suspended_by_intake_may_no_longer_assess(team):
    suspended = {
        "worker_id": MAN.worker_id,
        "organisation": ORG,
        "suspended_on": "2025-06-01",
        "reason": "positive_background_check",
        "rule": "MZ-7.1.3",
    }
    await react(team, intake_event("intake.worker.suspended", suspended, MAN.worker_id))
    with pytest.raises(Refused) as refused:
        await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    assert [(v.code, v.rule) for v in refused.value.violations] == [
        ("assessor_suspended", "MZ-7.1.3")
    ]


ORG_B = "org-synthetic-b"


def staff_event(name: str, worker: Assessor, organisation: str, **data: Any) -> Envelope:
    """A staff event of `organisation` about its person with `worker`'s id (ids are per
    organisation since intake_0006: another organisation may hold the same id)."""
    facts = {"worker_id": worker.worker_id, "organisation": organisation, **data}
    stream = f"staff-{organisation}/{worker.worker_id}"
    return intake_event(name, facts, stream)


async def test_one_organisations_suspension_leaves_the_same_id_in_another_free_to_assess(team):
    """Two organisations register the same worker id for two people (DOMAIN §12, staff ids
    per organisation); suspending A's person (MZ-7.1.3) neither suspends B's nor moves A's
    registry entry to B: each may assess its own organisation's cases only, as its own record
    says."""
    for who in (WOMAN, MAN):
        await register(team, who, ORG_B)  # the same ids, other people, in organisation B
    suspended = {"suspended_on": "2025-06-01", "reason": "positive", "rule": "MZ-7.1.3"}
    await react(team, staff_event("intake.worker.suspended", MAN, ORG, **suspended))

    for org in (ORG_B, ORG_B):  # B's person is not suspended, and a retry changes nothing
        graded = await grade(team, grading(f"case-{uuid4()}", org, WOMAN, MAN, child_gender="male"))
        assert graded.organisation == org
    with pytest.raises(Refused) as refused:  # A's person is, in A
        await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_suspended"]
    # A's WOMAN is still A's own registration, cleared in A
    await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, OTHER_MAN, child_gender="male"))


async def test_one_organisations_check_and_deregistration_reach_only_its_own_person(team):
    """A failed check or a deregistration in B is about B's person: A's person with the same
    id stays registered and cleared in A, and B's own entry follows B's events."""
    await register(team, MAN, ORG_B)
    failed = {"checked_on": "2025-04-01", "clean": False, "rule": "MZ-7.1.3"}
    await react(team, staff_event("intake.worker.background_check_recorded", MAN, ORG_B, **failed))
    with pytest.raises(Refused) as refused:
        await grade(team, grading(f"case-{uuid4()}", ORG_B, MAN, MAN, child_gender="male"))
    assert "assessor_not_cleared" in [v.code for v in refused.value.violations]
    await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))

    left = {"deregistered_on": "2025-06-01", "reason": "left_organisation", "rule": "§12"}
    await react(team, staff_event("intake.worker.deregistered", MAN, ORG_B, **left))
    await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    with pytest.raises(Refused) as refused:
        await grade(team, grading(f"case-{uuid4()}", ORG_B, WOMAN, MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_not_registered"] * 2


async def test_a_removal_by_another_organisation_leaves_the_cases_own_worker(uows):
    """The case team records the organisation that assigned each worker, and a removal names
    the person by organisation and id, as the staff events do: another organisation's removal
    of the same id takes nobody off; the case's own organisation's removal does."""
    from assessment.projections.queries_staff import team_of
    from tests.e2e.assessment_support import team_assigned

    case_id = f"case-{uuid4()}"
    await react(uows, team_assigned(case_id, ORG, [WOMAN.worker_id, MAN.worker_id]))
    removed = {
        "case_id": case_id,
        "organisation": ORG_B,
        "child_id": f"child-{uuid4()}",
        "worker_id": MAN.worker_id,
        "removed_on": "2025-06-01",
        "reason": "background_check_positive",
        "rule": "MZ-7.1.3",
    }
    await react(uows, intake_event("intake.case.worker_removed", removed, case_id))
    async with uows() as uow:
        assert await team_of(uow.conn, case_id) == {WOMAN.worker_id: ORG, MAN.worker_id: ORG}

    own = {**removed, "organisation": ORG}
    await react(uows, intake_event("intake.case.worker_removed", own, case_id))
    async with uows() as uow:
        assert await team_of(uow.conn, case_id) == {WOMAN.worker_id: ORG}


async def test_staff_rows_from_before_ids_were_per_organisation_are_kept_by_the_migration(
    database_url: str, keystore: KeyStore
):
    """assessment_0008 keys the staff registry by (organisation, worker id) and keeps every row
    as it was; afterwards another organisation's registration of the same id is a row of its
    own, and the kept person still assesses in their organisation."""
    from alembic import command
    from sqlalchemy import text

    engine = create_async_engine(database_url)
    await migrate.upgrade(engine, "store")
    versions = "alembic_version_assessment"
    async with engine.begin() as conn:  # the read models as they were before assessment_0008
        await conn.run_sync(
            lambda c: command.upgrade(
                migrate.alembic_config(MIGRATIONS, versions, c), "assessment_0007"
            )
        )
        for who in (WOMAN, MAN):
            await conn.execute(
                text(
                    "INSERT INTO staff (worker_id, organisation, gender, qualified,"
                    " background_check_on, background_check_clean, suspended)"
                    " VALUES (:w, :o, :g, true, '2025-03-01', true, false)"
                ),
                {"w": who.worker_id, "o": ORG, "g": who.gender},
            )
    await migrate.upgrade_tree(engine, MIGRATIONS, versions)
    store = EventStore(registry, FieldCipher(keystore), source="/careledger/assessment")

    def uows() -> UnitOfWork:
        return UnitOfWork(engine, store, events_topic("assessment"))

    try:
        await register(uows, MAN, ORG_B)
        suspended = {"suspended_on": "2025-06-01", "reason": "positive", "rule": "MZ-7.1.3"}
        await react(uows, staff_event("intake.worker.suspended", MAN, ORG_B, **suspended))
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT organisation, worker_id, suspended FROM staff ORDER BY 1, 2")
            )
            assert [tuple(r) for r in rows] == [
                (ORG, WOMAN.worker_id, False),
                (ORG, MAN.worker_id, False),
                (ORG_B, MAN.worker_id, True),
            ]
        await grade(uows, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    finally:
        await engine.dispose()


async def test_a_worker_who_left_the_organisation_is_no_longer_registered_to_assess(team):
    left = {
        "worker_id": MAN.worker_id,
        "organisation": ORG,
        "deregistered_on": "2025-06-01",
        "reason": "left_organisation",
        "rule": "§12",
    }
    await react(team, intake_event("intake.worker.deregistered", left, MAN.worker_id))
    with pytest.raises(Refused) as refused:
        await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_not_registered"]


async def test_a_positive_background_check_stops_the_worker_assessing(uows):
    await register(uows, WOMAN)
    await register(uows, MAN, clean=False)
    with pytest.raises(Refused) as refused:
        await grade(uows, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_not_cleared"]


async def sealed_check(keystore: KeyStore, who: Assessor, clean: bool) -> Envelope:
    """`intake.worker.background_check_recorded.v2` as intake publishes it: the result sealed
    with the data key of the staff scope."""
    scope, event_id = f"staff:{ORG}:{who.worker_id}", new_id()
    data = {
        "worker_id": who.worker_id,
        "organisation": ORG,
        "checked_on": "2025-04-01",  # after the clean v1 check `register` recorded
        "clean": clean,
        "rule": "MZ-7.1.3",
        "note": None,
    }
    sealed = await FieldCipher(keystore).encrypt(data, frozenset({"clean"}), scope, event_id)
    name = "intake.worker.background_check_recorded.v2"
    return make_envelope(
        source="/careledger/intake",
        event_type=name,
        dataschema=f"urn:careledger:schema:{name}",
        stream_id=f"worker-{who.worker_id}",
        version=3,
        meta=Metadata(actor="dev-org-admin"),
        key_scope=scope,
        data=sealed,
        prev_hash=GENESIS_HASH,
        event_id=event_id,
    )


async def test_a_sealed_failed_check_stops_the_worker_and_an_unreadable_one_clears_nobody(
    team, keystore
):
    """Backbone correctness item 13: the result of a check is sealed since v2; assessment
    opens it with the staff scope's key (MZ-7.1.3). Without the key (shredded) the check counts
    as not clean: nobody is cleared on a result nobody can read."""
    assert is_token((await sealed_check(keystore, MAN, clean=False)).data["clean"])
    await react(team, await sealed_check(keystore, MAN, clean=False))
    with pytest.raises(Refused) as refused:
        await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_not_cleared"]

    unreadable = await sealed_check(keystore, OTHER_MAN, clean=True)
    await keystore.shred(unreadable.key_scope, "synthetic: the staff member's data erased")
    await react(team, unreadable)
    with pytest.raises(Refused) as refused:
        await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, OTHER_MAN, child_gender="male"))
    assert [v.code for v in refused.value.violations] == ["assessor_not_cleared"]


async def test_the_gender_intake_registered_for_the_child_decides_the_team_rule(team, keystore):
    opened = case_opened(f"case-{uuid4()}", ORG)
    child_id = opened.data["child_id"]
    details = {"child_id": child_id, "organisation": ORG, "first_report_id": "report-1"}
    child = {"name": "合成儿童", "gender": "female", "birth_date": "2016-04-12"}
    event_id = new_id()
    sealed = await FieldCipher(keystore).encrypt(
        {**details, "child": child}, frozenset({"child"}), child_id, event_id
    )
    registered = intake_event("intake.child.registered", sealed, child_id, event_id=event_id)
    await react(team, registered)
    await react(team, opened)
    with pytest.raises(Refused) as refused:
        await grade(team, grading(opened.data["case_id"], ORG, MAN, OTHER_MAN))
    assert [v.code for v in refused.value.violations] == ["no_female_assessor"]
    row = await grade(team, grading(opened.data["case_id"], ORG, WOMAN, MAN))
    assert (row.grade, row.child_gender_source) == ("C", "intake.child.registered")


# --- the supervisor's review (MZ-7.4.3) -------------------------------------------------------


def reviewing(row: Any, decision: str = "approve", by: str = "sup-synthetic-1") -> ReviewAssessment:
    return ReviewAssessment(
        case_id=row.case_id,
        assessment_id=row.assessment_id,
        kind="safety",
        decision=decision,
        reviewed_by=by,
        reviewed_at=datetime.now(UTC),
        comments="合成意见：请补充B.3评估。" if decision == "return" else None,
    )


async def test_a_grade_awaits_review_and_is_decided_once(team):
    row = await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="female"))
    async with team() as uow:
        assert (await review_item(uow.conn, row.assessment_id)).status == "pending"
    actor = "sup-synthetic-1"
    decided = await record_review(team, reviewing(row, "return"), ORG, actor)
    assert (decided.status, decided.reviewed_by) == ("returned", "sup-synthetic-1")
    with pytest.raises(Refused):
        await record_review(team, reviewing(row), ORG, actor)
    with pytest.raises(NotVisible):
        await record_review(team, reviewing(row), "org-synthetic-b", actor)


async def test_two_supervisors_deciding_together_leave_one_decision(team):
    row = await grade(team, grading(f"case-{uuid4()}", ORG, WOMAN, MAN, child_gender="female"))
    results = await asyncio.gather(
        record_review(team, reviewing(row, by="sup-1"), ORG, "sup-1"),
        record_review(team, reviewing(row, by="sup-2"), ORG, "sup-2"),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(
        isinstance(r, ConcurrencyError | Refused) for r in results if isinstance(r, Exception)
    )


async def test_a_regrade_takes_the_superseded_grade_out_of_the_queue(team):
    case_id = f"case-{uuid4()}"
    first = await grade(team, grading(case_id, ORG, WOMAN, MAN, child_gender="female"))
    await grade(team, grading(case_id, ORG, WOMAN, MAN, child_gender="female"))
    async with team() as uow:
        assert (await review_item(uow.conn, first.assessment_id)).status == "superseded"
