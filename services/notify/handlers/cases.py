"""The case as intake tells it, and what that does to the case's clocks: its team and
supervisors named on them (MZ-6.2.2), all of them cancelled when it ends (closed, transferred,
handed over). Non-committing steps of the reactions, in the consumer's inbox transaction."""

from events.envelope import Envelope, Metadata
from events.uow import UnitOfWork
from notify.domain.cases import TEAM_ASSIGNED, case_end_reason, reassigned
from notify.handlers import deadlines
from notify.projections import projector, queries


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ids(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


async def opened(envelope: Envelope, uow: UnitOfWork) -> None:
    data = envelope.data
    case_id = _text(data.get("case_id"))
    if case_id is not None:
        await projector.learn_case(
            uow.conn,
            case_id,
            organisation=_text(data.get("organisation")),
            child_id=_text(data.get("child_id")),
        )


async def team_changed(envelope: Envelope, uow: UnitOfWork, meta: Metadata) -> None:
    """`team_assigned` sets the whole team (its supervisor joins the case's supervisors);
    `worker_removed` takes one worker off. Every open clock of the case follows."""
    data = envelope.data
    case_id = _text(data.get("case_id"))
    if case_id is None:
        return
    known = await queries.case_team(uow.conn, case_id)
    old = list(known.workers) if known else []
    supervisors = list(known.supervisors) if known else []
    if envelope.event_name == TEAM_ASSIGNED:
        new = _ids(data.get("worker_ids"))
        supervisors = list(dict.fromkeys([*supervisors, *_ids([data.get("assigned_by")])]))
        leaving = old
    else:
        removed = _text(data.get("worker_id"))
        new = [w for w in old if w != removed]
        leaving = [*old, *([removed] if removed else [])]  # off the clocks even if not on the team
    await projector.learn_case(
        uow.conn,
        case_id,
        organisation=_text(data.get("organisation")),
        child_id=_text(data.get("child_id")),
        workers=new,
        supervisors=supervisors,
    )
    for row in await queries.running_of_case(uow.conn, case_id):
        workers = reassigned(row.workers, old_team=leaving, new_team=new)
        await deadlines.reassign(uow, row, workers, supervisors, envelope.time, envelope.id, meta)


async def status_changed(envelope: Envelope, uow: UnitOfWork, meta: Metadata) -> None:
    """Keep the status; a final one cancels the case's open clocks, with the move as reason.
    The child's clocks go too unless the child is in another case that has not ended."""
    data = envelope.data
    case_id = _text(data.get("case_id"))
    if case_id is None:
        return
    reason = case_end_reason(data)
    await projector.learn_case(
        uow.conn,
        case_id,
        organisation=_text(data.get("organisation")),
        child_id=_text(data.get("child_id")),
        status=_text(data.get("to_status")),
        ended=reason is not None,
    )
    if reason is None:
        return
    child = _text(data.get("child_id")) or await queries.child_of(uow.conn, case_id)
    keep_child = child is not None and await queries.has_other_active_case(uow.conn, child, case_id)
    rows = await queries.running_of_case(uow.conn, case_id, with_child=not keep_child)
    for row in rows:
        await deadlines.cancel(
            uow, row, envelope.time, envelope.id, envelope.event_name, reason, meta
        )
