"""The child registry: one record per child in an organisation (一人一档, JX-9.1).

A report naming a resident ID number already registered is about that child; any other report
registers a new child. Children who may be the same person without a shared ID number are
offered for review (`duplicates.likely_duplicates`), never merged here.

The registry finds a child by resident ID number or birth date without keeping either in clear:
by keyed digests (HMAC-SHA256) of them. The key is derived from the deployment's key-encryption
key where that is read (`intake.api.common.lookup_key_of`); the rules here only hash.
**Resolution**: a digest, unlike a plain hash, cannot be reversed by trying every possible ID
number (there are only about 10^10) without the key. Rotating the KEK changes the digests;
the registry then has to be rebuilt from the events.
"""

import hashlib
import hmac
from collections.abc import Iterable
from datetime import date

from events.domain import EventData
from intake.domain.duplicates import ChildRecord, Match, likely_duplicates
from intake.domain.events import ChildDetails, ChildRegistered, ReportReceived
from intake.domain.identity import normalise_id


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


def id_digest(key: bytes, resident_id: str) -> str:
    """The registry's digest of a resident ID number, the same however the number was typed."""
    return _digest(key, "resident_id", normalise_id(resident_id))


def birth_digest(key: bytes, birth_date: date) -> str:
    return _digest(key, "birth_date", birth_date.isoformat())


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
