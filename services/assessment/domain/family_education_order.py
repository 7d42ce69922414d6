"""Compulsory family-education guidance ordered for a guardian (SZ-6.4.4, Appendix I; DOMAIN §4,
§7). Pure: a command and the order's state in, events out.

Police order the guardian to take family education; the period is at least 3 months and may be
extended by 3 to 9 months in all; the hours come from table I.1 (rule set SZ-2023-I) and the
ordered hours lie in its band. The order is complete once the hours are delivered and the
3 months have run.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import singledispatch
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain.events import (
    FamilyEducationCompleted,
    FamilyEducationExtended,
    FamilyEducationOrdered,
    FamilyEducationSessionRecorded,
)
from assessment.domain.family_education import FamilyEducationInput, evaluate_family_education
from assessment.domain.mental_health_state import add_months
from assessment.domain.rulesets import SESSION_KINDS
from events.domain import Conflict, EventData, Refused, Violation

PERIOD_CLAUSE = "SZ-6.4.4"
HOURS_CLAUSE = "SZ-I.1"
MIN_MONTHS = 3
EXTENSION_MONTHS = (3, 9)
KINDS = frozenset(kind.code for kind in SESSION_KINDS)
Status = Literal["none", "active", "completed"]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class Order(_Value):
    """What the rules need to know of one order, folded from its events."""

    order_id: str
    case_id: str | None = None
    status: Status = "none"
    starts_on: date | None = None
    ends_on: date | None = None
    ordered_hours: int = 0
    hours_delivered: int = 0
    extension_months: int = 0
    version: int = 0


class IssueOrder(_Value):
    case_id: str
    order_id: str
    organisation: str
    ordered_by: str
    issued_by: str
    issued_at: datetime
    starts_on: date
    months: int
    ordered_hours: int | None = None
    assessment: FamilyEducationInput
    guardian: str | None = None


def issue_order(command: IssueOrder, order: Order) -> list[EventData]:
    """SZ-6.4.4: at least 3 months; hours within the band table I.1 gives (default: its low end)."""
    if order.status != "none":
        raise Conflict([_v("order_exists", PERIOD_CLAUSE, "order_id", "this order is issued")])
    result = evaluate_family_education(command.assessment)
    hours = command.ordered_hours if command.ordered_hours is not None else result.hours_min
    _refuse_any(
        _v("period_too_short", PERIOD_CLAUSE, "months", f"at least {MIN_MONTHS} months")
        if command.months < MIN_MONTHS
        else None,
        _v(
            "hours_outside_band",
            HOURS_CLAUSE,
            "ordered_hours",
            f"table I.1 gives {result.hours_min}-{result.hours_max} hours for {result.total}",
        )
        if not result.hours_min <= hours <= result.hours_max
        else None,
    )
    fields = command.model_dump(exclude={"ordered_hours", "assessment"})
    return [
        FamilyEducationOrdered(
            **fields,
            ends_on=add_months_to_date(command.starts_on, command.months),
            ordered_hours=hours,
            result=result,
        )
    ]


class RecordGuidance(_Value):
    case_id: str
    order_id: str
    kind: str
    hours: int
    held_on: date
    recorded_by: str
    notes: str | None = None


def record_guidance(command: RecordGuidance, order: Order) -> list[EventData]:
    """Table I.1: hours of individual, couple, group or parenting-class guidance delivered."""
    _active(order)
    _refuse_any(
        _v("unknown_kind", HOURS_CLAUSE, "kind", f"one of {sorted(KINDS)}")
        if command.kind not in KINDS
        else None,
        _v("hours_not_positive", HOURS_CLAUSE, "hours", "at least one hour")
        if command.hours < 1
        else None,
    )
    delivered = order.hours_delivered + command.hours
    return [FamilyEducationSessionRecorded(**command.model_dump(), hours_delivered=delivered)]


class ExtendOrder(_Value):
    case_id: str
    order_id: str
    months: int
    extended_by: str
    extended_at: datetime
    reason: str | None = None


def extend_order(command: ExtendOrder, order: Order) -> list[EventData]:
    """SZ-6.4.4: the period may be extended by 3 to 9 months in all."""
    _active(order)
    low, high = EXTENSION_MONTHS
    total = order.extension_months + command.months
    _refuse_any(
        _v(
            "extension_out_of_range",
            PERIOD_CLAUSE,
            "months",
            f"extensions total {low} to {high} months; this one would make {total}",
        )
        if command.months < 1 or not low <= total <= high
        else None,
    )
    assert order.ends_on is not None
    ends_on = add_months_to_date(order.ends_on, command.months)
    return [FamilyEducationExtended(**command.model_dump(), ends_on=ends_on, total_months=total)]


class CompleteOrder(_Value):
    case_id: str
    order_id: str
    completed_on: date
    completed_by: str


def complete_order(command: CompleteOrder, order: Order) -> list[EventData]:
    """Complete once the ordered hours are delivered and at least 3 months have run."""
    _active(order)
    assert order.starts_on is not None
    earliest = add_months_to_date(order.starts_on, MIN_MONTHS)
    _refuse_any(
        _v(
            "hours_not_delivered",
            HOURS_CLAUSE,
            None,
            f"{order.hours_delivered} of {order.ordered_hours} hours delivered",
        )
        if order.hours_delivered < order.ordered_hours
        else None,
        _v("period_not_run", PERIOD_CLAUSE, "completed_on", f"not before {earliest}")
        if command.completed_on < earliest
        else None,
    )
    return [FamilyEducationCompleted(**command.model_dump(), hours_delivered=order.hours_delivered)]


Command = IssueOrder | RecordGuidance | ExtendOrder | CompleteOrder


@singledispatch
def decide(command: Command, order: Order) -> list[EventData]:
    """The events `command` records on the order, one registered rule per command type."""
    raise TypeError(f"no family-education rule decides {type(command).__name__}")


decide.register(IssueOrder, issue_order)
decide.register(RecordGuidance, record_guidance)
decide.register(ExtendOrder, extend_order)
decide.register(CompleteOrder, complete_order)


def evolve_order(order: Order, event: EventData) -> Order:
    """The order after one of its events (events of other types leave it as it was)."""
    return order.model_copy(update={**_changes(event, order), "version": order.version + 1})


@singledispatch
def _changes(event: EventData, order: Order) -> dict[str, object]:
    """What one event changes in the order, one registered function per event type."""
    return {}


@_changes.register(FamilyEducationOrdered)
def _ordered(event: FamilyEducationOrdered, order: Order) -> dict[str, object]:
    return {
        "case_id": event.case_id,
        "status": "active",
        "starts_on": event.starts_on,
        "ends_on": event.ends_on,
        "ordered_hours": event.ordered_hours,
    }


@_changes.register(FamilyEducationSessionRecorded)
def _session_recorded(event: FamilyEducationSessionRecorded, order: Order) -> dict[str, object]:
    return {"hours_delivered": event.hours_delivered}


@_changes.register(FamilyEducationExtended)
def _extended(event: FamilyEducationExtended, order: Order) -> dict[str, object]:
    return {"ends_on": event.ends_on, "extension_months": event.total_months}


@_changes.register(FamilyEducationCompleted)
def _completed(event: FamilyEducationCompleted, order: Order) -> dict[str, object]:
    return {"status": "completed"}


def fold_order(order_id: str, events: list[EventData]) -> Order:
    order = Order(order_id=order_id)
    for event in events:
        order = evolve_order(order, event)
    return order


def add_months_to_date(day: date, months: int) -> date:
    moment = datetime(day.year, day.month, day.day)
    return add_months(moment, months).date()


def _active(order: Order) -> None:
    if order.status != "active":
        raise Conflict([_v("order_not_active", PERIOD_CLAUSE, "order_id", "no active order")])


def _v(code: str, rule: str, field: str | None, message: str) -> Violation:
    return Violation(code=code, rule=rule, field=field, message=message, sensitive=False)


def _refuse_any(*found: Violation | None) -> None:
    violations = [v for v in found if v is not None]
    if violations:
        raise Refused(violations)
