"""Clocks that follow the case (issue 14), against the real PostgreSQL: one acknowledgement
clock per recipient of a mandatory report (SZ-5.2.1), the report to civil affairs on every
intake (SZ-6.2.1), clocks that name the case team and its supervisor (MZ-6.2.2) and follow
team changes, the weekly serious-violence series started by an emergency report and ended by
the case's closure (SZ-5.8.2), and clocks cancelled (not met, not missed) when a task is
superseded (SZ-6.4) or the case is closed, transferred or handed over (SZ-6.5, SZ-6.6). Events
are built as intake and assessment publish them; time is frozen; all data is synthetic.
"""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest

from events.envelope import Envelope
from notify.api import deadlines as deadlines_api
from tests.integration import test_notify_deadlines
from tests.integration.harness import served
from tests.integration.test_notify_deadlines import (
    ORG,
    RECEIVED,
    Notify,
    bearer,
    published,
    report_received,
    risk_graded,
)
from tests.integration.test_notify_recurring import occurrences, task_ended, task_set

notify = test_notify_deadlines.notify  # the fixture: notify's database and store

TAKER = "worker-synthetic-1"  # took the report (report_received)
SUPERVISOR = "supervisor-synthetic-1"
ACK = "mandatory_report.acknowledgement"
WEEKLY = "followup.weekly_after_serious_violence"


def ids() -> tuple[str, str, str]:
    tag = uuid4().hex[:10]
    return f"report-{tag}", f"case-{tag}", f"child-report-{tag}"  # child as report_received


def case_event(name: str, case: str, child: str, at: datetime, **data: Any) -> Envelope:
    body = {"case_id": case, "organisation": ORG, "child_id": child, **data}
    return published(f"intake.case.{name}", body, at, case)


def opened(case: str, child: str, reports: list[str], at: datetime) -> Envelope:
    return case_event(
        "opened", case, child, at, report_ids=reports, opened_at=at.isoformat(), opened_by=TAKER
    )


def team(case: str, child: str, workers: list[str], at: datetime) -> Envelope:
    return case_event(
        "team_assigned",
        case,
        child,
        at,
        worker_ids=workers,
        assigned_on=at.date().isoformat(),
        assigned_by=SUPERVISOR,
        rule="MZ-6.2.2",
    )


def removed(case: str, child: str, worker: str, at: datetime) -> Envelope:
    return case_event(
        "worker_removed",
        case,
        child,
        at,
        worker_id=worker,
        removed_on=at.date().isoformat(),
        rule="MZ-7.1.3",
    )


def status(case: str, child: str, before: str, after: str, at: datetime) -> Envelope:
    return case_event(
        "status_changed",
        case,
        child,
        at,
        from_status=before,
        to_status=after,
        changed_at=at.isoformat(),
        changed_by=SUPERVISOR,
        cause=None,
        rule="SZ-6.6",
    )


def filed(report: str, child: str, recipients: list[str], at: datetime = RECEIVED) -> Envelope:
    data = {
        "report_id": report,
        "organisation": ORG,
        "child_id": child,
        "filed_at": at.isoformat(),
        "filed_by": TAKER,
        "recipients": [
            {"key": key, "name": key, "contact": None, "rule": "SZ-5.2.1"} for key in recipients
        ],
        "grounds": [],
        "triggers": [4],
        "emergency": False,
        "occurred_at": None,
    }
    return published("intake.mandatory_report.filed", data, at, report)


def acknowledged(report: str, child: str, recipient: str, at: datetime) -> Envelope:
    data = {
        "report_id": report,
        "organisation": ORG,
        "child_id": child,
        "recipient": recipient,
        "acknowledged_at": at.isoformat(),
        "reference": None,
        "recorded_by": TAKER,
    }
    return published("intake.mandatory_report.acknowledged", data, at, report)


def civil_affairs_notified(report: str, child: str, at: datetime) -> Envelope:
    data = {
        "report_id": report,
        "organisation": ORG,
        "child_id": child,
        "notified_at": at.isoformat(),
        "notified_by": TAKER,
        "reference": "MZJ-2026-0001",
        "rule": "SZ-6.2.1",
    }
    return published("intake.report.civil_affairs_notified", data, at, report)


async def clocks(notify: Notify, subject_id: str) -> list[Any]:
    """Every clock kept on the subject, by rule."""
    from sqlalchemy import select

    from notify.projections.tables import deadlines

    query = select(deadlines).where(deadlines.c.subject_id == subject_id)
    async with notify.engine.connect() as conn:
        return list((await conn.execute(query.order_by(deadlines.c.rule))).all())


async def last_event(notify: Notify, stream_id: str) -> Any:
    async with notify.engine.connect() as conn:
        return (await notify.store.read_stream(conn, stream_id))[-1]


# --- SZ-5.2.1: each recipient has its own acknowledgement clock and escalation (item 6) --------


async def test_each_recipient_of_a_mandatory_report_acknowledges_for_itself_sz_5_2_1(notify):
    report, _, child = ids()
    await notify.handle(filed(report, child, ["police", "place_responsible"]))
    acks = {r.party: r for r in await clocks(notify, report) if r.rule == ACK}
    assert set(acks) == {"police", "place_responsible"}

    await notify.handle(
        acknowledged(report, child, "place_responsible", RECEIVED + timedelta(minutes=20))
    )
    acks = {r.party: r for r in await clocks(notify, report) if r.rule == ACK}
    assert (acks["place_responsible"].state, acks["police"].state) == ("met", "open")

    assert await notify.scheduler(RECEIVED + timedelta(hours=1)).tick() == 1  # police's miss
    police = {r.party: r for r in await clocks(notify, report) if r.rule == ACK}["police"]
    assert police.state == "overdue"
    escalation = await last_event(notify, police.stream_id)
    assert escalation.type == "notify.escalated.v2"
    assert escalation.data["party"] == "police"
    assert escalation.data["deadline_id"] == police.deadline_id


# --- SZ-6.2.1: the report to civil affairs on every intake (item 7) -----------------------------


async def test_every_report_owes_civil_affairs_a_report_within_the_hour_sz_6_2_1(notify):
    report, _, child = ids()
    await notify.handle(report_received(report, emergency=False))
    [clock] = [r for r in await clocks(notify, report) if r.rule == "intake.civil_affairs_report"]
    assert clock.due_at == RECEIVED + timedelta(hours=1) and clock.clause == "SZ-6.2.1"
    assert clock.workers == [TAKER] and clock.escalate_to == ["supervisor"]
    await notify.handle(civil_affairs_notified(report, child, RECEIVED + timedelta(minutes=30)))
    [clock] = [r for r in await clocks(notify, report) if r.rule == "intake.civil_affairs_report"]
    assert clock.state == "met"


# --- SZ-6.5/6.6: a case that ends cancels its clocks (item 2) -----------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [("follow_up", "closed"), ("open", "transferred"), ("closed", "handed_over")],
)
async def test_a_case_that_ends_cancels_its_open_clocks_with_the_move_as_reason_sz_6_5(
    notify, before, after
):
    report, case, child = ids()
    await notify.handle(report_received(report, emergency=True))
    await notify.handle(opened(case, child, [report], RECEIVED + timedelta(hours=1)))
    await notify.handle(status(case, child, before, after, RECEIVED + timedelta(hours=2)))
    ended = [*await clocks(notify, report), *await clocks(notify, child)]
    assert {r.rule for r in ended} >= {"intake.investigation", "intake.first_visit", WEEKLY}
    assert {r.state for r in ended} == {"cancelled"}
    reason = f"intake.case.status_changed: {before} -> {after}"
    assert {r.cancel_reason for r in ended} == {reason}
    investigation = next(r for r in ended if r.rule == "intake.investigation")
    cancelled = await last_event(notify, investigation.stream_id)
    assert cancelled.type == "notify.deadline.cancelled.v1"
    assert cancelled.data["reason"] == reason
    assert await notify.scheduler(RECEIVED + timedelta(days=30)).tick() == 0  # nothing fires


async def test_a_case_still_in_service_keeps_its_clocks(notify):
    report, case, child = ids()
    await notify.handle(report_received(report, emergency=False))
    await notify.handle(opened(case, child, [report], RECEIVED + timedelta(hours=1)))
    await notify.handle(status(case, child, "open", "in_service", RECEIVED + timedelta(hours=2)))
    assert {r.state for r in await clocks(notify, report)} == {"open"}


async def test_closing_one_case_keeps_the_childs_clocks_of_another_open_case_sz_5_8_2(notify):
    report, case, child = ids()
    other = f"case-other-{uuid4().hex[:8]}"
    await notify.handle(report_received(report, emergency=True))
    await notify.handle(opened(case, child, [report], RECEIVED + timedelta(hours=1)))
    await notify.handle(opened(other, child, [], RECEIVED + timedelta(hours=2)))
    await notify.handle(status(case, child, "follow_up", "closed", RECEIVED + timedelta(hours=3)))
    assert {r.state for r in await clocks(notify, report)} == {"cancelled"}
    assert {r.state for r in await clocks(notify, child)} == {"open"}


# --- SZ-6.4: a superseded task is cancelled, not met (item 13) ----------------------------------


async def test_a_superseded_task_is_cancelled_and_says_why_sz_6_4(notify):
    case, task = f"case-{uuid4().hex[:8]}", str(uuid4())
    await notify.handle(task_set(case, task, RECEIVED + timedelta(days=3), at=RECEIVED))
    ended = task_ended(
        "cancelled", case, task, RECEIVED + timedelta(days=1), reason_code="superseded"
    )
    await notify.handle(ended)
    [row] = await clocks(notify, task)
    assert (row.state, row.cancel_reason) == ("cancelled", "assessment.task.cancelled: superseded")
    assert row.met_at is None and row.missed_at is None


# --- MZ-6.2.2: the case team sees the case's clocks and follows team changes (item 11) ----------


@pytest.fixture
async def api(notify, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    backbone = SimpleNamespace(engine=notify.engine)
    async with served(tmp_path_factory, deadlines_api.router, backbone=backbone) as client:
        yield client


async def seen_by(api: httpx.AsyncClient, worker: str, subject: str) -> set[str]:
    response = await api.get("/v1/deadlines", headers=bearer("worker", subject=worker))
    assert response.status_code == 200, response.text
    return {d["rule"] for d in response.json() if d["subject_id"] == subject}


async def test_the_case_team_sees_the_report_clocks_and_follows_team_changes_mz_6_2_2(notify, api):
    report, case, child = ids()
    await notify.handle(report_received(report, emergency=False))
    await notify.handle(opened(case, child, [report], RECEIVED + timedelta(minutes=10)))
    assert await seen_by(api, "worker-team-a", report) == set()

    await notify.handle(team(case, child, ["worker-team-a", "worker-team-b"], RECEIVED))
    rules = {"intake.investigation", "intake.civil_affairs_report"}
    assert await seen_by(api, "worker-team-a", report) == rules
    assert await seen_by(api, "worker-team-b", report) == rules
    assert await seen_by(api, TAKER, report) == rules  # the worker who took it still does
    row = next(r for r in await clocks(notify, report) if r.rule == "intake.investigation")
    assert row.supervisors == [SUPERVISOR]
    reassigned = await last_event(notify, row.stream_id)
    assert reassigned.type == "notify.deadline.reassigned.v1"

    await notify.handle(removed(case, child, "worker-team-b", RECEIVED + timedelta(hours=1)))
    assert await seen_by(api, "worker-team-b", report) == set()
    await notify.handle(team(case, child, ["worker-team-a", "worker-team-c"], RECEIVED))
    assert await seen_by(api, "worker-team-c", report) == rules

    # a clock set later names the team; its miss escalates naming the supervisor
    await notify.handle(task_set(case, "task-" + report, RECEIVED + timedelta(hours=4)))
    [task] = await clocks(notify, "task-" + report)
    assert set(task.workers) == {"worker-synthetic-7", "worker-team-a", "worker-team-c"}
    await notify.scheduler(RECEIVED + timedelta(hours=4)).tick()
    escalation = await last_event(notify, task.stream_id)
    assert escalation.type == "notify.escalated.v2"
    assert escalation.data["supervisors"] == [SUPERVISOR]


async def test_a_mental_health_start_clock_is_labelled_m5_not_m7(notify, api):
    case = f"case-{uuid4().hex[:10]}"
    await notify.handle(risk_graded(case, "high", RECEIVED))
    response = await api.get("/v1/deadlines", headers=bearer("supervisor"))
    [clock] = [d for d in response.json() if d["subject_id"] == case]
    assert (clock["clause"], clock["domain_rule"]) == ("JX-7.3", "M-5")


# --- SZ-5.8.2: the weekly series after serious violence (item 12) --------------------------------


async def test_an_emergency_report_starts_the_weekly_series_naming_the_team_sz_5_8_2(notify):
    report, case, child = ids()
    await notify.handle(report_received(report, emergency=True))
    [first] = await occurrences(notify, WEEKLY, child)
    assert first.due_at == RECEIVED + timedelta(days=7) and first.workers == [TAKER]
    await notify.handle(opened(case, child, [report], RECEIVED + timedelta(hours=1)))
    await notify.handle(team(case, child, ["worker-team-a", "worker-team-b"], RECEIVED))
    [first] = await occurrences(notify, WEEKLY, child)
    assert set(first.workers) == {TAKER, "worker-team-a", "worker-team-b"}
    assert first.supervisors == [SUPERVISOR]

    # the category set afterwards keeps the one series rather than restarting it
    category = case_event(
        "followup_category_set",
        case,
        child,
        RECEIVED + timedelta(days=1),
        category="serious_violence",
        set_at=(RECEIVED + timedelta(days=1)).isoformat(),
    )
    await notify.handle(category)
    assert [(o.occurrence, o.state) for o in await occurrences(notify, WEEKLY, child)] == [
        (1, "open")
    ]


async def test_the_closure_of_the_case_ends_the_weekly_series_without_a_child_id_sz_5_8_2(
    notify,
):
    report, case, child = ids()
    await notify.handle(report_received(report, emergency=True))
    await notify.handle(opened(case, child, [report], RECEIVED + timedelta(hours=1)))
    closure = published(
        "assessment.closure.recorded",
        {"case_id": case, "closure_id": "closure-1", "closed_at": RECEIVED.isoformat()},
        RECEIVED + timedelta(days=20),
        case,
    )
    await notify.handle(closure)
    [first] = await occurrences(notify, WEEKLY, child)
    assert (first.state, first.cancel_reason) == ("cancelled", "assessment.closure.recorded")


# --- MZ-6.2.2: a case left short of its team is told to its supervisors (issue 14 item 4) -------

UNDERSTAFFED = "intake.case.understaffed"


async def subscribe_by_email(
    notify: Notify, organisation: str, events: list[str], agency: str | None = None
) -> str:
    """An e-mail subscription (no address to resolve) of `organisation`, as its admin makes it."""
    from events.context import Context
    from events.envelope import Metadata
    from notify.domain.subscriptions import Channel, CreateSubscription, Language
    from notify.handlers import subscriptions as subscribing

    target = f"admin-{uuid4().hex[:6]}@example.org"
    command = CreateSubscription(organisation, agency, Channel.EMAIL, target, events, Language.EN)
    async with notify.uow() as uow:
        subscription_id, _ = await subscribing.create(
            command, uow, Context(Metadata(actor="dev-org-admin"))
        )
    return subscription_id


async def deliveries_of(notify: Notify, event_id: str) -> dict[str, Any]:
    """The deliveries an event queued, by subscription."""
    from sqlalchemy import select

    from notify.projections.tables import deliveries

    query = select(deliveries).where(deliveries.c.source_event_id == event_id)
    async with notify.engine.connect() as conn:
        return {r.subscription_id: r for r in (await conn.execute(query)).all()}


async def test_an_understaffed_case_is_notified_naming_its_supervisors_mz_6_2_2(notify):
    """A suspension left the case with one worker: intake flags it (`intake.case.understaffed`,
    notify_roles ["supervisor"]) and notify tells the organisation's subscribers of that event,
    naming the supervisors who assigned the team; a partner agency's endpoint and another
    organisation's do not hear of it (GB-12, JX-9.3)."""
    import json

    _, case, child = ids()
    organisation = f"org-understaffed-{uuid4().hex[:6]}"
    own = await subscribe_by_email(notify, organisation, [UNDERSTAFFED])
    police = await subscribe_by_email(notify, organisation, [UNDERSTAFFED], agency="police")
    other = await subscribe_by_email(notify, f"org-other-{uuid4().hex[:6]}", [UNDERSTAFFED])
    of_organisation = {"organisation": organisation}
    await notify.handle(
        case_event(
            "opened",
            case,
            child,
            RECEIVED,
            **of_organisation,
            report_ids=[],
            opened_at=RECEIVED.isoformat(),
            opened_by=TAKER,
        )
    )
    await notify.handle(
        case_event(
            "team_assigned",
            case,
            child,
            RECEIVED,
            **of_organisation,
            worker_ids=["worker-team-a", "worker-team-b"],
            assigned_on=RECEIVED.date().isoformat(),
            assigned_by=SUPERVISOR,
            rule="MZ-6.2.2",
        )
    )
    suspended_at = RECEIVED + timedelta(days=3)
    await notify.handle(
        case_event(
            "worker_removed",
            case,
            child,
            suspended_at,
            **of_organisation,
            worker_id="worker-team-b",
            removed_on=suspended_at.date().isoformat(),
            rule="MZ-7.1.3",
        )
    )
    flagged = case_event(
        "understaffed",
        case,
        child,
        suspended_at,
        **of_organisation,
        remaining_worker_ids=["worker-team-a"],
        removed_worker_id="worker-team-b",
        shortfalls=["team_too_few_qualified"],
        flagged_on=suspended_at.date().isoformat(),
        notify_roles=["supervisor"],
        rule="MZ-6.2.2",
    )
    await notify.handle(flagged)

    queued = await deliveries_of(notify, flagged.id)
    assert set(queued) == {own}  # not the police's, not another organisation's
    assert police not in queued and other not in queued
    body = json.loads(queued[own].body)
    assert body["event_type"] == UNDERSTAFFED and body["organisation"] == organisation
    assert body["data"] == {
        "case_id": case,
        "organisation": organisation,
        "supervisors": [SUPERVISOR],
        "remaining_worker_ids": ["worker-team-a"],
        "removed_worker_id": "worker-team-b",
        "shortfalls": ["team_too_few_qualified"],
        "flagged_on": suspended_at.date().isoformat(),
        "notify_roles": ["supervisor"],
        "rule": "MZ-6.2.2",
    }
    assert case in body["message"]["title"] + body["message"]["text"]
    assert SUPERVISOR in body["message"]["text"] and "MZ-6.2.2" in body["message"]["text"]

    await notify.handle(flagged)  # redelivered: the inbox drops it, nothing queued twice
    assert set(await deliveries_of(notify, flagged.id)) == {own}


# --- SZ-6.6, DOMAIN §5: follow-ups after closure of a case assessment never closed --------------

AFTER_CLOSURE = "followup.after_closure"


def closure_recorded(case: str, at: datetime) -> Envelope:
    data = {"case_id": case, "closure_id": f"closure-{case}", "closed_at": at.isoformat()}
    return published("assessment.closure.recorded", data, at, case)


def followup_done(case: str, child: str, at: datetime) -> Envelope:
    return case_event(
        "followup_done",
        case,
        child,
        at,
        followup_id=f"followup-{uuid4().hex[:6]}",
        followed_up_at=at.isoformat(),
        method="phone",
        recorded_by=TAKER,
        rule="SZ-6.6",
    )


async def test_an_intake_only_case_in_follow_up_owes_a_follow_up_within_6_months_sz_6_6(notify):
    """No assessment closure ever comes for it: intake's move to follow_up starts the clock,
    intake's recorded follow-up meets it."""
    _, case, child = ids()
    await notify.handle(opened(case, child, [], RECEIVED))
    await notify.handle(status(case, child, "open", "closing", RECEIVED + timedelta(days=1)))
    assert [r.rule for r in await clocks(notify, case)] == []  # closing is not follow-up yet
    moved = RECEIVED + timedelta(days=2)  # 4 Nov 2026
    await notify.handle(status(case, child, "closing", "follow_up", moved))
    [clock] = await clocks(notify, case)
    assert (clock.rule, clock.state, clock.clause) == (AFTER_CLOSURE, "open", "SZ-6.6")
    assert clock.due_at == datetime(2027, 5, 4, 2, 0, tzinfo=moved.tzinfo)  # 6 months

    await notify.handle(followup_done(case, child, moved + timedelta(days=40)))
    [clock] = await clocks(notify, case)
    assert (clock.state, clock.met_at) == ("met", moved + timedelta(days=40))


@pytest.mark.parametrize("closure_first", [True, False])
async def test_assessments_closure_and_intakes_move_start_one_follow_up_clock_sz_6_6(
    notify, closure_first
):
    """Assessment's closure moves the case to follow_up in intake: both events arrive, in
    either order, and the case still owes one follow-up clock, not two."""
    _, case, child = ids()
    await notify.handle(opened(case, child, [], RECEIVED))
    closed = closure_recorded(case, RECEIVED + timedelta(days=2))
    moved = status(case, child, "closing", "follow_up", RECEIVED + timedelta(days=2, minutes=1))
    for event in (closed, moved) if closure_first else (moved, closed):
        await notify.handle(event)
    assert [(r.rule, r.state) for r in await clocks(notify, case)] == [(AFTER_CLOSURE, "open")]

    await notify.handle(followup_done(case, child, RECEIVED + timedelta(days=30)))
    late = closure_recorded(case, RECEIVED + timedelta(days=2))  # redelivered with a new id
    await notify.handle(late)  # the closure this run covered: no second clock
    assert [(r.rule, r.state) for r in await clocks(notify, case)] == [(AFTER_CLOSURE, "met")]


async def test_a_full_closure_assessment_ends_the_follow_up_clock_sz_6_6(notify):
    _, case, child = ids()
    await notify.handle(opened(case, child, [], RECEIVED))
    await notify.handle(status(case, child, "closing", "follow_up", RECEIVED))
    assessed = RECEIVED + timedelta(days=60)
    await notify.handle(
        case_event(
            "full_closure_assessed",
            case,
            child,
            assessed,
            assessed_at=assessed.isoformat(),
            conditions_met=True,
            assessed_by=SUPERVISOR,
            rule="SZ-6.6",
        )
    )
    [clock] = await clocks(notify, case)
    assert (clock.rule, clock.state, clock.met_at) == (AFTER_CLOSURE, "met", assessed)
