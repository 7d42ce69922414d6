"""The child registry (JX-9.1): a child is registered with the first report naming them, found
again by the keyed digest of their resident ID number; their categories (SZ-5.8.1) and household
are recorded from a case, on the child's own stream."""

from dataclasses import dataclass

from events.context import Context
from events.registry import EventData
from events.store import StreamAppend
from events.uow import UnitOfWork
from intake.domain import categories as category_rules
from intake.domain import children as rules
from intake.domain.events import ChildRegistered, FollowupCategorySet, ReportReceived
from intake.domain.reports import ReceiveReport
from intake.handlers.cases import case_of
from intake.handlers.shared import append, load, within
from intake.projections.rows import child_rows, child_with_id_digest


async def known_child(uow: UnitOfWork, command: ReceiveReport, lookup_key: bytes) -> str | None:
    """The registered child with the report's resident ID number, if there is one."""
    if command.child.resident_id is None:
        return None
    digest = rules.id_digest(lookup_key, command.child.resident_id)
    row = await child_with_id_digest(uow.conn, command.organisation, digest)
    return None if row is None else str(row.child_id)


@dataclass(frozen=True)
class Registration:
    """A child to register with the report naming them: their stream's events, appended in the
    report's statement, and the keyed digests their registry row keeps (`add_report`)."""

    stream: StreamAppend
    event: ChildRegistered
    id_digest: str | None
    birth_digest: str | None


def registration(
    received: EventData, known: bool, ctx: Context, lookup_key: bytes
) -> Registration | None:
    """The registration of the child a received report names, unless `known`: sealed with the
    child's key and keyed like the report, so both reach consumers in order."""
    assert isinstance(received, ReportReceived)
    events = rules.register_child(received, known)
    if not events:
        return None
    registered, child = events[0], received.child
    assert isinstance(registered, ChildRegistered)
    stream = StreamAppend(
        received.child_id,
        0,
        within(ctx, "child").keyed(events),
        key_scope=received.child_id,
        key=received.report_id,
    )
    id_digest = rules.id_digest(lookup_key, child.resident_id) if child.resident_id else None
    birth = rules.birth_digest(lookup_key, child.birth_date) if child.birth_date else None
    return Registration(stream, registered, id_digest, birth)


async def set_categories(
    command: category_rules.SetCategories, uow: UnitOfWork, ctx: Context
) -> None:
    """Record the child's categories on the child's stream; a changed follow-up category is
    announced on the case's stream (`intake.case.followup_category_set`), one transaction."""
    case_history, case = await case_of(uow, command.case_id)
    child_history = await load(uow, case.child_id)
    if child_history.retried(ctx):
        return
    current = category_rules.categories_of(child_history.events)
    events = category_rules.set_categories(command, case, current)
    on_case: list[EventData] = [e for e in events if isinstance(e, FollowupCategorySet)]
    on_child = [e for e in events if not isinstance(e, FollowupCategorySet)]
    scope, key = case.child_id, case.case_id
    await append(uow, case.child_id, child_history, on_child, ctx, key_scope=scope, partition=key)
    if on_case:
        case_ctx = within(ctx, "case")
        await append(uow, key, case_history, on_case, case_ctx, key_scope=scope, partition=key)
    await uow.commit()


async def record_household(
    command: category_rules.RecordHousehold, uow: UnitOfWork, ctx: Context
) -> None:
    """The child's household; a registered sibling is checked against the registry."""
    _, case = await case_of(uow, command.case_id)
    child_history = await load(uow, case.child_id)
    if child_history.retried(ctx):
        return
    rows = await child_rows(uow.conn, case.organisation, command.sibling_ids)
    events = category_rules.record_household(command, case, {str(r.child_id) for r in rows})
    await append(
        uow,
        case.child_id,
        child_history,
        events,
        ctx,
        key_scope=case.child_id,
        partition=case.case_id,
    )
    await uow.commit()
