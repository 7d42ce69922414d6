"""Child registry (JX-9.1): registration from a report, duplicate hints, keyed digests."""

import os
import random
from datetime import UTC, datetime

from intake.api.common import lookup_key
from intake.domain.children import birth_digest, id_digest, possible_duplicates, register_child
from intake.domain.events import ChildDetails, ChildRegistered, Reporter, ReportReceived, Source
from tests.synthetic import fake_child


def registered(child_id: str, details: ChildDetails) -> ChildRegistered:
    return ChildRegistered(
        child_id=child_id, organisation="org-a", child=details, first_report_id="r-0"
    )


def details(seed: int, **changes) -> ChildDetails:
    child = fake_child(random.Random(seed))
    values = {
        "name": child.name,
        "gender": child.gender,
        "birth_date": child.birth_date,
        "resident_id": child.resident_id,
        "address": child.address,
        **changes,
    }
    return ChildDetails(**values)


def received(child: ChildDetails) -> ReportReceived:
    return ReportReceived(
        report_id="r-1",
        organisation="org-a",
        child_id="child-1",
        source=Source.WALK_IN,
        received_at=datetime(2025, 6, 1, tzinfo=UTC),
        received_by="worker-1",
        reporter=Reporter(name="报告人"),
        child=child,
        occurred_at=None,
        place=None,
        description="报告人反映儿童近期情绪低落。",
        triggers=[],
        emergency=False,
        mandatory=False,
    )


def test_a_report_about_a_new_child_registers_the_child_with_the_first_report() -> None:
    events = register_child(received(details(1)), known=False)
    assert len(events) == 1 and isinstance(events[0], ChildRegistered)
    assert events[0].child_id == "child-1" and events[0].first_report_id == "r-1"


def test_a_report_about_a_known_child_registers_nothing() -> None:
    assert register_child(received(details(1)), known=True) == []


def test_a_child_without_id_number_but_same_name_birth_and_address_is_offered_not_merged():
    known = registered("child-1", details(2))
    again = registered("child-2", known.child.model_copy(update={"resident_id": None}))
    stranger = registered("child-3", details(3))
    matches = possible_duplicates(again, [known, stranger])
    assert [(m.record_id, m.kind, m.rule) for m in matches] == [
        ("child-1", "name_birth_address", "JX-9.1")
    ]


def test_digests_are_keyed_normalise_the_number_and_never_contain_it() -> None:
    child = details(4)
    key, other_key = lookup_key(os.urandom(32)), lookup_key(os.urandom(32))
    number = child.resident_id
    assert id_digest(key, number) == id_digest(key, f" {number.lower()} ")
    assert id_digest(key, number) != id_digest(other_key, number)
    assert number not in id_digest(key, number)
    assert birth_digest(key, child.birth_date) != id_digest(key, number)
