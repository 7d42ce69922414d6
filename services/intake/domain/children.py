"""The child registry: one record per child in an organisation (一人一档, JX-9.1).

A report naming a resident ID number already registered is about that child; any other report
registers a new child. Children who may be the same person without a shared ID number are
offered for review (`duplicates.likely_duplicates`), never merged here.
"""

from collections.abc import Iterable

from events.registry import EventData
from intake.domain.duplicates import ChildRecord, Match, likely_duplicates
from intake.domain.events import ChildDetails, ChildRegistered, ReportReceived


def register_child(received: ReportReceived, known: bool) -> list[EventData]:
    """The registry's events for the child a report names: none if the child is known."""
    if known:
        return []
    return [
        ChildRegistered(
            child_id=received.child_id,
            organisation=received.organisation,
            child=received.child,
            first_report_id=received.report_id,
        )
    ]


def record_of(child_id: str, child: ChildDetails) -> ChildRecord:
    return ChildRecord(
        id=child_id,
        name=child.name,
        birth_date=child.birth_date,
        address=child.address,
        resident_id=child.resident_id,
    )


def possible_duplicates(child: ChildRegistered, others: Iterable[ChildRegistered]) -> list[Match]:
    """Registered children who may be `child` (JX-9.1), best first, for a person to review."""
    candidate = record_of(child.child_id, child.child)
    return likely_duplicates(candidate, [record_of(o.child_id, o.child) for o in others])
