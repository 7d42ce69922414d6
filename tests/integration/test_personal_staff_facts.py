"""Staff facts, a child's categories and a subscription's target are sealed (Backbone
correctness, item 13): a failed background check, why a person was suspended, that they were
dismissed, the reason a worker left a case, the categories of a child and the address an e-mail
subscription sends to are personal fields of a new version of their event type. Neither the raw
`events.envelope` column nor the outbox payload published to Kafka holds them in clear; decoding
with the data key of the event's scope gives them back. Real PostgreSQL; synthetic data only."""

from datetime import UTC, datetime

from sqlalchemy import text

from events.context import Context
from events.crypto import is_token
from events.envelope import Envelope, Metadata
from intake.domain import Gender
from intake.domain.categories import SetCategories
from intake.domain.events import ChildCategory, WorkerSuspended
from intake.domain.staff import POSITIVE_CHECK, DeregisterWorker, RecordBackgroundCheck
from intake.handlers import cases, children, staff
from intake.handlers.shared import append, load
from notify.domain.subscriptions import Channel, CreateSubscription, Language, stream_of
from notify.handlers import subscriptions
from tests.integration import intake_support, test_notify_deadlines
from tests.integration.intake_support import (
    CTX,
    Uows,
    a_team,
    a_worker,
    an_emergency_report,
    handle,
    opening,
)
from tests.integration.test_notify_deadlines import Notify

notify = test_notify_deadlines.notify  # the fixture: notify's database and store
uows = intake_support.uows  # the fixture: intake's handlers on a throwaway database
MARKER = "failed check ZZ-MARKER"  # synthetic free text that must never be stored in clear


async def stored_text(uows: Uows) -> str:
    """Every stored envelope and every outbox payload, as the database holds them."""
    async with uows() as uow:
        envelopes = (await uow.conn.execute(text("SELECT envelope::text FROM events"))).all()
        payloads = (await uow.conn.execute(text("SELECT payload FROM outbox"))).all()
    return "\n".join(row[0] for row in [*envelopes, *payloads])


async def stream(uows: Uows, stream_id: str) -> list[Envelope]:
    async with uows() as uow:
        return (await load(uow, stream_id)).envelopes


async def decoded(uows: Uows, envelope: Envelope) -> dict:
    async with uows() as uow:
        return (await uow.store.decode(envelope)).model_dump(mode="json")


async def test_a_failed_check_the_suspension_and_a_dismissal_are_sealed_under_the_staff_scope(
    uows: Uows,
) -> None:
    """Backbone correctness item 13 (MZ-7.1.3, §12): the check's result and note, the
    suspension's reason, the removal from the case and the dismissal are sealed with the key
    `staff:<org>:<worker>` (the removal, a case event, with the case's); ids and clauses stay
    in clear for the consumers that act on them."""
    org = "org-synthetic-staff"
    report_id, _ = await an_emergency_report(uows, org)
    case = opening(org, report_id)
    await handle(uows, cases.open_case, case)
    _, worker = await a_team(uows, org, case.case_id)
    today = datetime.now(UTC).date()
    failed = RecordBackgroundCheck(
        organisation=org, worker_id=worker, checked_on=today, clean=False, note=MARKER, today=today
    )
    await handle(uows, staff.record_background_check, failed)
    dismissal = DeregisterWorker(
        organisation=org, worker_id=worker, deregistered_on=today, reason="dismissed", today=today
    )
    await handle(uows, staff.deregister_worker, dismissal)

    raw = await stored_text(uows)
    for plain in (MARKER, POSITIVE_CHECK, "dismissed"):
        assert plain not in raw
    _, _, check, suspended, dismissed = await stream(uows, staff.worker_stream(org, worker))
    assert {e.key_scope for e in (check, suspended, dismissed)} == {f"staff:{org}:{worker}"}
    assert is_token(check.data["clean"]) and check.data["rule"] == "MZ-7.1.3"
    assert (await decoded(uows, check))["clean"] is False
    assert (await decoded(uows, check))["note"] == MARKER
    assert (await decoded(uows, suspended))["reason"] == POSITIVE_CHECK
    assert (await decoded(uows, dismissed))["reason"] == "dismissed"
    on_case = await stream(uows, case.case_id)
    [removed] = [e for e in on_case if e.type == "intake.case.worker_removed.v2"]
    assert removed.data["worker_id"] == worker  # then flagged understaffed (MZ-6.2.2)
    assert (await decoded(uows, removed))["reason"] == POSITIVE_CHECK


async def test_a_suspension_reason_in_free_text_is_sealed(uows: Uows) -> None:
    """Backbone correctness item 13: whatever text a suspension gives as its reason."""
    org = "org-synthetic-staff"
    worker = await a_worker(uows, org, Gender.FEMALE)
    suspension = WorkerSuspended(
        worker_id=worker,
        organisation=org,
        suspended_on=datetime.now(UTC).date(),
        reason=MARKER,
        rule="MZ-7.1.3",
    )
    stream_id = staff.worker_stream(org, worker)
    async with uows() as uow:
        history = await load(uow, stream_id)
        scope = staff.staff_scope(org, worker)
        await append(uow, stream_id, history, [suspension], CTX, key_scope=scope)
        await uow.commit()

    assert MARKER not in await stored_text(uows)
    stored = (await stream(uows, stream_id))[-1]
    assert stored.type == "intake.worker.suspended.v2" and is_token(stored.data["reason"])
    assert (await decoded(uows, stored))["reason"] == MARKER


async def test_a_childs_categories_are_sealed_under_the_childs_scope(uows: Uows) -> None:
    """Backbone correctness item 13 (SZ-5.8.1, JX-9.2): the categories, like their evidence,
    say what the child lives through. (These two set no follow-up schedule, so no
    `intake.case.followup_category_set` repeats one in clear for notify's clocks.)"""
    org = "org-synthetic-child"
    report_id, child_id = await an_emergency_report(uows, org)
    case = opening(org, report_id)
    await handle(uows, cases.open_case, case)
    evidence = {
        ChildCategory.LEFT_BEHIND: "合成：父母外出务工",
        ChildCategory.GUARDIANSHIP_ABSENT: "合成：无人照看",
    }
    command = SetCategories(
        case_id=case.case_id, evidence=evidence, at=datetime.now(UTC), by="dev-worker"
    )
    await handle(uows, children.set_categories, command)

    raw = await stored_text(uows)
    assert "left_behind" not in raw and "guardianship_absent" not in raw
    categories = (await stream(uows, child_id))[-1]
    assert categories.type == "intake.child.categories_set.v2"
    assert categories.key_scope == child_id and is_token(categories.data["categories"])
    opened = await decoded(uows, categories)
    assert set(opened["categories"]) == {"left_behind", "guardianship_absent"}


async def test_an_email_subscriptions_target_is_sealed_under_the_subscription_scope(
    notify: Notify,
) -> None:
    """Backbone correctness item 13: an e-mail address names a person; it is sealed with the
    key `subscription:<id>` that deleting the subscription shreds."""
    target = "zz-marker.synthetic@example.org"
    command = CreateSubscription(
        organisation="org-synthetic-notify",
        agency=None,
        channel=Channel.EMAIL,
        target=target,
        event_types=["notify.escalated"],
        language=Language.EN,
    )
    ctx = Context(Metadata(actor="dev-org-admin"))
    async with notify.uow() as uow:
        subscription_id, _ = await subscriptions.create(command, uow, ctx)

    assert target not in await stored_text(notify.uow)
    async with notify.uow() as uow:
        (created,) = await uow.store.read_stream(uow.conn, stream_of(subscription_id))
    assert created.type == "notify.subscription.created.v2"
    assert created.key_scope == f"subscription:{subscription_id}"
    assert is_token(created.data["target"])
    assert (await notify.store.decode(created)).target == target
