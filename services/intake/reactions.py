"""Reactions of the intake service to other services' events (consumer runner, by name).

- `MILESTONES`: assessment's facts that move a case along SZ-6.1's steps, each carrying
  `case_id`. The fact is recorded on the case and the case climbs as far as the rules allow
  (`cases.learn`; the module docstring of `intake.domain.cases` says how and why); what is
  missing keeps it where it stopped, and recording it later lets it climb on.
- `STATUS_EVENTS`: facts that set a status outright; `archive.handover.completed` waits for
  the archive service (the contract test lists it as not yet produced).
- The case view's grade, tasks and clocks (`projections.learnt`) from assessment's grades and
  tasks and notify's `notify.deadline.*`.
Each reaction runs in one transaction with the inbox row of the event (a redelivery is
skipped); an event about a case this service does not hold, or a move the status table does
not allow from the case's present status, records nothing and is logged.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from events.consumer import Handler
from events.context import Context
from events.envelope import Envelope
from events.uow import UnitOfWork
from intake.domain import cases as case_rules
from intake.domain.cases import AUTOMATIC, ChangeStatus, Learn, Status
from intake.domain.events import ClosingWork
from intake.handlers.shared import append, load
from intake.projections import learnt

ACTOR = AUTOMATIC
log = logging.getLogger(__name__)

# other service's event name -> the status it moves the case to outright
STATUS_EVENTS: dict[str, Status] = {
    "archive.handover.completed": Status.HANDED_OVER,  # archive with the entrustor (JX-9.4.2)
}

REPORTED = (ClosingWork.EFFECT_SUMMARY, ClosingWork.CLOSING_RECORD, ClosingWork.SERVICE_REPORT)


@dataclass(frozen=True)
class Milestone:
    """Where a fact calls the case (None: nowhere further), the closing work it stands for,
    the clause that makes it do so."""

    target: Status | None
    counts_as: tuple[ClosingWork, ...]
    rule: str


MILESTONES: dict[str, Milestone] = {
    # the grade's interventions begin (SZ-6.4.1); a grade requiring none calls for nothing
    "assessment.safety.risk_graded": Milestone(Status.IN_SERVICE, (), "SZ-6.4.1"),
    "assessment.task.set": Milestone(Status.IN_SERVICE, (), "SZ-6.4"),
    # the agreed mental-health service runs (JX-7.2, M-3, M-4)
    "assessment.service_plan.agreement_signed": Milestone(Status.IN_SERVICE, (), "JX-7.2"),
    # the approved Appendix D closure (JX-7.5, M-10): see `cases` for what it stands for
    "assessment.closure.recorded": Milestone(Status.FOLLOW_UP, REPORTED, "JX-7.5"),
    "assessment.closure.followup_recorded": Milestone(None, (ClosingWork.FOLLOWUP_DONE,), "SZ-6.6"),
    "assessment.closure.fully_closed": Milestone(
        Status.CLOSED, (ClosingWork.FULL_CLOSURE,), "SZ-6.6"
    ),
}


class AboutACase(BaseModel):
    """The one field intake needs of those events (others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    case_id: str


class Graded(AboutACase):
    """A safety grade's codes (`assessment.safety.risk_graded`: `result` is not sealed)."""

    assessment_id: str
    assessed_at: datetime
    rule_set: str
    result: dict[str, Any]

    def requires_action(self) -> bool:
        return bool(self.result.get("required_actions"))

    def row(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "assessment_id": self.assessment_id,
            "grade": str(self.result["grade"]),
            "label": self.result.get("label"),
            "grade_clause": self.result.get("grade_clause"),
            "rule_set": self.rule_set,
            "assessed_at": self.assessed_at,
        }


class TaskEnded(BaseModel):
    """`assessment.task.completed` / `.cancelled`: only the task's id is needed."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    task_id: str


class TaskView(AboutACase, TaskEnded):
    code: str
    clause: str
    due_at: datetime


class DeadlineView(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    deadline_id: str
    subject: str
    subject_id: str
    rule: str
    clause: str
    due_at: datetime
    provisional: bool


class DeadlineEnded(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    deadline_id: str
    due_at: datetime | None = None  # recomputed: the new due time


async def when_assessment_reports_progress_move_the_case(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Keep the case view's grade and tasks, then record the fact on the case and move it as far
    as `MILESTONES` calls and the rules allow. Malformed data raises: retried, dead-lettered."""
    name, data = envelope.event_name, envelope.data
    case_id = AboutACase.model_validate(data).case_id
    milestone = MILESTONES[name]
    if name == "assessment.safety.risk_graded":
        graded = Graded.model_validate(data)
        await learnt.grade_set(uow.conn, graded.row())
        if not graded.requires_action():
            return
    elif name == "assessment.task.set":
        task = TaskView.model_validate(data)
        await learnt.task_set(uow.conn, task.model_dump())
    history = await load(uow, case_id)
    case = case_rules.case_state(history.events)
    if case is None:
        log.warning("%s names unknown case %s: nothing to record", name, case_id)
        return
    ctx = Context.caused_by(envelope, actor=ACTOR)  # a redelivery appends nothing twice
    if history.retried(ctx):
        return
    command = Learn(
        case_id=case_id,
        fact=name,
        fact_id=envelope.id,
        occurred_at=envelope.time,
        target=milestone.target,
        counts_as=frozenset(milestone.counts_as),
        rule=milestone.rule,
        at=envelope.time,
    )
    events = case_rules.learn(command, case)
    if not events:
        return
    await append(uow, case_id, history, events, ctx, key_scope=case.child_id)
    _log_where_it_stopped(name, case_id, case_rules.apply(case, events))


def _log_where_it_stopped(name: str, case_id: str, case: case_rules.Case) -> None:
    """A case the fact could not move all the way waits for what it lacks: say what."""
    if case.pending is None:
        return
    step = case_rules.LADDER[case_rules.RANK[case.status] + 1]
    missing = [f"{v.code} ({v.rule})" for v in case_rules.readiness(case, step)]
    log.warning(
        "%s: case %s waits in %s for %s on the way to %s",
        name,
        case_id,
        case.status.value,
        ", ".join(missing) or "a move the table allows",
        case.pending.value,
    )


async def when_case_moved_elsewhere_set_its_status(envelope: Envelope, uow: UnitOfWork) -> None:
    """Move the case the event names to the status `STATUS_EVENTS` gives its name.
    Malformed data raises: retried, then dead-lettered."""
    case_id = AboutACase.model_validate(envelope.data).case_id
    history = await load(uow, case_id)
    case = case_rules.case_state(history.events)
    target = STATUS_EVENTS[envelope.event_name]
    ctx = Context.caused_by(envelope, actor=ACTOR)  # a redelivery appends nothing twice
    if case is None:
        log.warning("%s names unknown case %s: nothing to move", envelope.event_name, case_id)
        return
    if history.retried(ctx):
        return
    command = ChangeStatus(
        case_id=case_id, to=target, at=envelope.time, by=ACTOR, cause=envelope.event_name
    )
    events = case_rules.follow_other_service(command, case)
    if not events:
        if case.status != target:
            log.warning(
                "%s cannot move case %s from %s to %s: skipped",
                envelope.event_name,
                case_id,
                case.status.value,
                target.value,
            )
        return
    await append(uow, case_id, history, events, ctx, key_scope=case.child_id)


async def when_a_task_ends_take_it_off_the_case(envelope: Envelope, uow: UnitOfWork) -> None:
    status = "completed" if envelope.event_name == "assessment.task.completed" else "cancelled"
    await learnt.task_ended(uow.conn, TaskEnded.model_validate(envelope.data).task_id, status)


async def when_a_clock_starts_show_it_on_the_case(envelope: Envelope, uow: UnitOfWork) -> None:
    await learnt.deadline_set(uow.conn, DeadlineView.model_validate(envelope.data).model_dump())


async def when_a_clock_ends_or_moves_update_the_case(envelope: Envelope, uow: UnitOfWork) -> None:
    clock = DeadlineEnded.model_validate(envelope.data)
    if envelope.event_name == "notify.deadline.recomputed":
        assert clock.due_at is not None  # the event's schema requires it
        await learnt.deadline_moved(uow.conn, clock.deadline_id, clock.due_at)
    else:
        status = CLOCK_ENDS[envelope.event_name]
        await learnt.deadline_ended(uow.conn, clock.deadline_id, status)


CLOCK_ENDS = {
    "notify.deadline.met": "met",
    "notify.deadline.missed": "missed",
    "notify.deadline.cancelled": "cancelled",  # the case was closed, transferred, handed over
}
Reaction = Callable[[Envelope, UnitOfWork], Awaitable[None]]
VIEWS: dict[str, Reaction] = {
    "assessment.task.completed": when_a_task_ends_take_it_off_the_case,
    "assessment.task.cancelled": when_a_task_ends_take_it_off_the_case,
    "notify.deadline.set": when_a_clock_starts_show_it_on_the_case,
    "notify.deadline.met": when_a_clock_ends_or_moves_update_the_case,
    "notify.deadline.missed": when_a_clock_ends_or_moves_update_the_case,
    "notify.deadline.cancelled": when_a_clock_ends_or_moves_update_the_case,
    "notify.deadline.recomputed": when_a_clock_ends_or_moves_update_the_case,
}

HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(STATUS_EVENTS, when_case_moved_elsewhere_set_its_status),
    **dict.fromkeys(MILESTONES, when_assessment_reports_progress_move_the_case),
    **VIEWS,
}
