"""Intake's reactions to other services' facts that move a case's status, and the case lists
built from the read models, against a real PostgreSQL (event store, key store and read models
of throwaway databases; no broker: a reaction is called as the consumer runner calls it)."""

import os
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from events.api import decode_cursor
from events.canonical import GENESIS_HASH
from events.envelope import Envelope, Metadata, make_envelope
from events.tables import outbox
from intake.domain.cases import ChangeStatus, OpenCase, Status
from intake.domain.casework import RecordInvestigation, RecordStatement, RecordVisit
from intake.domain.clock import local_date
from intake.domain.closing import (
    AssessFullClosure,
    GiveEndingNotice,
    PlanFollowup,
    RecordFollowup,
)
from intake.domain.events import FollowupMethod, InitialStatement, Investigation
from intake.handlers import cases, casework, reports
from intake.handlers.shared import load
from intake.projections.queries import case_page
from intake.projections.rows import case_row
from intake.reactions import HANDLERS, MILESTONES, STATUS_EVENTS, VIEWS
from tests.integration import intake_support
from tests.integration.intake_support import Uows, a_team, handle, synthetic_report

uows = intake_support.uows  # the fixture: intake's handlers on a throwaway database


async def a_case(uows: Uows, org: str, *, emergency: bool, received_at: datetime) -> str:
    """A case opened from one synthetic report received at `received_at`."""
    report = synthetic_report(org, received_at, emergency=emergency, report_id=f"report-{uuid4()}")
    await handle(uows, reports.receive_report, report, lookup_key=os.urandom(32))
    case_id = f"case-{uuid4()}"
    opening = OpenCase(
        case_id=case_id,
        organisation=org,
        report_ids=[report.report_id],
        opened_at=received_at,
        opened_by="dev-supervisor",
        by_supervisor=True,
    )
    await handle(uows, cases.open_case, opening)
    return case_id


def fact(name: str, case_id: str, **data: Any) -> Envelope:
    """A fact of another service as it would publish it (synthetic; not published yet)."""
    return make_envelope(
        source=f"/careledger/{name.split('.')[0]}",
        event_type=f"{name}.v1",
        dataschema=f"urn:careledger:schema:{name}.v1",
        stream_id=f"x-{uuid4()}",
        version=1,
        meta=Metadata(actor="service:other"),
        key_scope=case_id,
        data={"case_id": case_id, **data},
        prev_hash=GENESIS_HASH,
    )


async def react(uows: Uows, envelope: Envelope) -> None:
    async with uows() as uow:
        await HANDLERS[envelope.event_name](envelope, uow)
        await uow.commit()


async def status_of(uows: Uows, case_id: str) -> str:
    async with uows() as uow:
        return str((await case_row(uow.conn, case_id)).status)


async def an_investigated_case(uows: Uows, org: str) -> tuple[str, list[str]]:
    """A case with its team, first visit, investigation and initial statement (MZ-6.2.2,
    SZ-6.2.1): what service needs before it starts (issue 14, item 2)."""
    now = datetime.now(UTC)
    case_id = await a_case(uows, org, emergency=False, received_at=now - timedelta(hours=1))
    workers = await a_team(uows, org, case_id)
    common = {"case_id": case_id, "recorded_by": workers[0], "now": now}
    visit = RecordVisit(
        **common,
        visit_id=str(uuid4()),
        visited_at=now - timedelta(minutes=30),
        worker_ids=workers,
        guardian_present=True,
        guardian_informed=True,
    )
    findings = Investigation(
        harm_type="合成", degree="合成", time_and_place="合成", environment_or_perpetrator="合成"
    )
    investigation = RecordInvestigation(
        **common,
        investigated_at=now - timedelta(minutes=20),
        investigator_ids=workers,
        findings=findings,
    )
    said = InitialStatement(basic_info="合成", situation="合成", needs="合成", next_steps="合成")
    statement = RecordStatement(**common, stated_at=now - timedelta(minutes=10), statement=said)
    for work in (visit, investigation, statement):
        await handle(uows, casework.record, work)
    return case_id, workers


async def test_a_plan_a_closure_and_a_handover_move_a_case_to_in_service_follow_up_and_closed_out(
    uows,
):
    org = f"org-{uuid4().hex[:6]}"
    case_id, workers = await an_investigated_case(uows, org)
    plan = fact("assessment.service_plan.agreement_signed", case_id)
    await react(uows, plan)
    assert await status_of(uows, case_id) == "in_service"
    await react(uows, fact("assessment.closure.recorded", case_id))
    assert await status_of(uows, case_id) == "closing"  # SZ-6.5: the notice is still to come
    now, common = datetime.now(UTC), {"case_id": case_id, "recorded_by": workers[0]}
    told = GiveEndingNotice(
        **common,
        now=now,
        told=["合成监护人"],
        contact="合成：机构热线",
        told_at=now,  # not before the case opened (SZ-6.5, issue 14 item 5)
        ends_on=now.date() + timedelta(days=2),
    )
    planned = PlanFollowup(
        **common,
        now=now,
        followup_id="f-1",
        planned_on=local_date(now),  # China's day (SZ-6.6 window)
        method=FollowupMethod.PHONE,
    )
    for work in (told, planned):
        await handle(uows, cases.record_closing, work)
    assert await status_of(uows, case_id) == "follow_up"
    later = datetime.now(UTC)  # a follow-up comes after the move to follow-up (SZ-6.6)
    followed = RecordFollowup(
        **common, now=later, followup_id="f-1", followed_up_at=later, method=FollowupMethod.PHONE
    )
    assessed = AssessFullClosure(**common, now=later, assessed_at=later, conditions_met=True)
    for work in (followed, assessed):
        await handle(uows, cases.record_closing, work)
    command = ChangeStatus(case_id=case_id, to=Status.CLOSED, at=now, by="dev-supervisor")
    await handle(uows, cases.change_status, command)
    await react(uows, fact("archive.handover.completed", case_id))
    assert await status_of(uows, case_id) == "handed_over"

    async with uows() as uow:
        history = await load(uow, case_id)
        rows = (await uow.conn.execute(select(outbox.c.key, outbox.c.type))).all()
    learnt, moved = [e for e in history.envelopes if e.causation_id == plan.id]
    assert learnt.type == "intake.case.milestone_learnt.v1"
    assert moved.type == "intake.case.status_changed.v1"
    assert moved.causation_id == plan.id and moved.actor == "service:intake"
    moves = [key for key, kind in rows if kind == "intake.case.status_changed.v1"]
    assert moves == [case_id] * 5  # to Kafka, keyed by the case


async def test_a_fact_the_status_table_does_not_allow_records_nothing(uows):
    case_id = await a_case(uows, "org-syn", emergency=False, received_at=datetime.now(UTC))
    await react(uows, fact("archive.handover.completed", case_id))  # an open case: not allowed
    await react(uows, fact("assessment.closure.recorded", f"case-{uuid4()}"))  # unknown case
    assert await status_of(uows, case_id) == "open"
    async with uows() as uow:
        assert (await load(uow, case_id)).version == 1


async def test_every_name_intake_reacts_to_has_a_handler():
    assert set(HANDLERS) == set(STATUS_EVENTS) | set(MILESTONES) | set(VIEWS)


async def test_overdue_cases_are_those_whose_first_visit_or_statement_missed_its_time(uows):
    org = f"org-{uuid4().hex[:6]}"
    now = datetime.now(UTC)
    late_visit = await a_case(uows, org, emergency=True, received_at=now - timedelta(hours=30))
    fresh = await a_case(uows, org, emergency=True, received_at=now - timedelta(hours=2))
    late_statement = await a_case(uows, org, emergency=False, received_at=now - timedelta(days=4))

    async with uows() as uow:
        page = await case_page(
            uow.conn, org, member=None, before=None, limit=10, filters={"overdue": True}, now=now
        )
        emergencies = await case_page(
            uow.conn, org, member=None, before=None, limit=10, filters={"emergency": True}, now=now
        )
    assert {c.case_id for c in page.items} == {late_visit, late_statement}
    assert {c.case_id for c in emergencies.items} == {late_visit, fresh}
    due = next(c for c in emergencies.items if c.case_id == fresh).visit_due_at
    assert due is not None and abs(due - (now + timedelta(hours=22))) < timedelta(seconds=1)


async def test_a_case_list_pages_newest_first_and_a_worker_sees_only_their_cases(uows):
    org = f"org-{uuid4().hex[:6]}"
    now = datetime.now(UTC)
    made = [await a_case(uows, org, emergency=False, received_at=now) for _ in range(3)]

    async def page(cursor_seq: int | None, member: str | None = None) -> Any:
        async with uows() as uow:
            return await case_page(
                uow.conn, org, member=member, before=cursor_seq, limit=2, filters={}, now=now
            )

    first = await page(None)
    assert [c.case_id for c in first.items] == made[:0:-1]
    second = await page(decode_cursor(first.next_cursor))
    assert [c.case_id for c in second.items] == [made[0]] and second.next_cursor is None
    assert (await page(None, member="w-stranger")).items == []


async def test_the_first_visit_by_the_team_is_projected_and_ends_the_case_being_overdue(uows):
    org = f"org-{uuid4().hex[:6]}"
    now = datetime.now(UTC)
    case_id = await a_case(uows, org, emergency=True, received_at=now - timedelta(hours=25))
    workers = await a_team(uows, org, case_id)
    visit = RecordVisit(
        case_id=case_id,
        visit_id=str(uuid4()),
        visited_at=now - timedelta(hours=1),
        worker_ids=workers,
        guardian_present=False,
        guardian_informed=True,
        place="合成地址",
        recorded_by=workers[0],
        now=now,
    )
    await handle(uows, casework.record, visit)
    async with uows() as uow:
        row = await case_row(uow.conn, case_id)
        stored = (await load(uow, case_id)).envelopes[-1]
    assert row.visits == 1 and row.first_visit_at == visit.visited_at
    assert stored.type == "intake.case.visit_recorded.v1"
    assert "合成地址" not in str(stored.data)  # the place is encrypted in the store
