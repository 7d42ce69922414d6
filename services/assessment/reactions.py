"""Reactions of the assessment service to other services' events (consumer runner, by name).

Each runs in the consumer's unit of work with the inbox row of the event, so a redelivery
changes nothing; the consumer commits, a reaction never does.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assessment.handlers.tasks import end_with_case
from assessment.projections.case_status import set_status
from assessment.projections.projector import add_case
from assessment.projections.projector_staff import (
    add_child,
    record_check,
    register_staff,
    remove_from_team,
    set_team,
    suspend,
    unregister,
)
from events.consumer import Handler
from events.context import Context
from events.envelope import Envelope
from events.errors import KeyShredded, KeyUnavailable
from events.uow import UnitOfWork

Gender = Literal["male", "female"]
QUALIFYING = "social_worker"  # intake's 社会工作者职业资格: MZ-6.2.2 "qualified"


class CaseOpenedFacts(BaseModel):
    """The fields of intake's `intake.case.opened` assessment relies on (others are ignored;
    a future `child_gender` is taken when intake publishes it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    case_id: str
    organisation: str
    child_id: str | None = None
    child_gender: Literal["male", "female"] | None = None


async def when_a_case_is_opened_record_its_owner_and_child(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Remember the case's organisation (who may grade it) and, if given, the child's gender
    (MZ-6.2.2: a female assessor for a girl). Malformed data raises: retried, then dead-lettered."""
    facts = CaseOpenedFacts.model_validate(envelope.data)
    await add_case(
        uow.conn,
        case_id=facts.case_id,
        organisation=facts.organisation,
        child_id=facts.child_id,
        child_gender=facts.child_gender,
        event_id=envelope.id,
    )


class _Facts(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class StatusFacts(_Facts):
    """What assessment reads of `intake.case.status_changed` (the sealed reason is not read)."""

    case_id: str
    organisation: str
    to_status: str
    changed_at: datetime
    rule: str


async def when_a_case_changes_status_take_work_accordingly(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """Issue 14 item 3: the status decides which work assessment still accepts on the case
    (`domain.case_status`: closing SZ-6.5, follow-up SZ-6.6, none once closed, transferred or
    handed over). The intake stream's version orders the changes. A final status cancels the
    case's open tasks with the status as the reason (not met)."""
    facts = StatusFacts.model_validate(envelope.data)
    await set_status(
        uow.conn,
        case_id=facts.case_id,
        organisation=facts.organisation,
        status=facts.to_status,
        rule=facts.rule,
        changed_at=facts.changed_at,
        intake_version=envelope.stream_version,
    )
    ctx = Context.caused_by(envelope, actor="service:assessment")
    await end_with_case(uow, facts.case_id, facts.to_status, ctx)


class StaffFacts(_Facts):
    """Whom a staff event is about: a staff id names one person within one organisation
    (intake_0006), so both are read and both find the registry entry."""

    organisation: str
    worker_id: str


class WorkerFacts(StaffFacts):
    gender: Gender
    qualifications: list[str] = []


class CheckFacts(StaffFacts):
    checked_on: date
    clean: bool | None  # None: the result is sealed under a key this service cannot open


class TeamFacts(_Facts):
    case_id: str
    organisation: str
    worker_ids: list[str]


class RemovalFacts(_Facts):
    case_id: str
    organisation: str
    worker_id: str


class ChildFacts(_Facts):
    class Details(_Facts):
        gender: Gender

    child_id: str
    organisation: str
    child: Details


async def when_staff_is_registered_remember_who_may_assess(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """The registry entry an assessor is checked against (MZ-6.2.2); the name is not read."""
    facts = WorkerFacts.model_validate(envelope.data)
    qualified = QUALIFYING in facts.qualifications
    await register_staff(uow.conn, facts.organisation, facts.worker_id, facts.gender, qualified)


async def when_a_background_check_is_recorded_keep_the_latest(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """The yearly check of MZ-7.1.3 (its note, personal, is not kept). Since v2 the result is
    sealed under the staff scope; without that key (shredded, or not in this key store) the
    check counts as not clean, so nobody is cleared on a result nobody could read."""
    plain = await _opened(envelope, uow)
    unread = {**envelope.data, "clean": None}
    facts = CheckFacts.model_validate(unread if plain is None else plain)
    await record_check(uow.conn, facts.organisation, facts.worker_id, facts.checked_on, facts.clean)


async def _opened(envelope: Envelope, uow: UnitOfWork) -> dict[str, Any] | None:
    """The event's data with its personal fields opened (v1 had none sealed); None without
    the key."""
    try:
        return await uow.store.cipher.decrypt(envelope.data, envelope.key_scope, envelope.id)
    except (KeyShredded, KeyUnavailable):
        return None


async def when_staff_leave_they_are_no_longer_registered(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """A deregistered person (DOMAIN §12) is refused as an assessor who is not registered;
    the person of that organisation only (another may hold the same id)."""
    facts = StaffFacts.model_validate(envelope.data)
    await unregister(uow.conn, facts.organisation, facts.worker_id)


async def when_staff_is_suspended_stop_them_assessing(envelope: Envelope, uow: UnitOfWork) -> None:
    """MZ-7.1.3: the organisation's person with that id, not another's with the same id."""
    facts = StaffFacts.model_validate(envelope.data)
    await suspend(uow.conn, facts.organisation, facts.worker_id)


async def when_a_child_is_registered_keep_their_gender(envelope: Envelope, uow: UnitOfWork) -> None:
    """Only the gender is kept (MZ-6.2.2: a woman assesses a girl); the other details are
    decrypted in memory and dropped. Without the key (shredded, or not in this key store) the
    gender stays unknown and the assessors state it, as before intake published any."""
    plain = await _opened(envelope, uow)
    if plain is None:
        return
    facts = ChildFacts.model_validate(plain)
    await add_child(uow.conn, facts.child_id, facts.organisation, facts.child.gender)


async def when_a_team_is_assigned_let_it_work_on_the_case(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """The workers who may see and work on the case (ARCHITECTURE, record-level rules)."""
    facts = TeamFacts.model_validate(envelope.data)
    await set_team(uow.conn, facts.case_id, facts.organisation, facts.worker_ids)


async def when_a_worker_is_removed_close_the_case_to_them(
    envelope: Envelope, uow: UnitOfWork
) -> None:
    """At once, as after a positive background check (MZ-7.1.3)."""
    facts = RemovalFacts.model_validate(envelope.data)
    await remove_from_team(uow.conn, facts.case_id, facts.organisation, facts.worker_id)


HANDLERS: dict[str, Handler] = {
    "intake.case.opened": when_a_case_is_opened_record_its_owner_and_child,
    "intake.case.status_changed": when_a_case_changes_status_take_work_accordingly,
    "intake.worker.registered": when_staff_is_registered_remember_who_may_assess,
    "intake.worker.background_check_recorded": when_a_background_check_is_recorded_keep_the_latest,
    "intake.worker.suspended": when_staff_is_suspended_stop_them_assessing,
    "intake.worker.deregistered": when_staff_leave_they_are_no_longer_registered,
    "intake.child.registered": when_a_child_is_registered_keep_their_gender,
    "intake.case.team_assigned": when_a_team_is_assigned_let_it_work_on_the_case,
    "intake.case.worker_removed": when_a_worker_is_removed_close_the_case_to_them,
}
