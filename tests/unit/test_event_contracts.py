"""The published event contract (docs/events) matches the code, and no published event type
changes in place: a change needs a new version with an upcaster."""

import json

import pytest

from events.asyncapi import DOCS, document, dumps, load_service_events
from events.registry import registry

REGENERATE = "run `make schemas` and review the diff of docs/events/"


@pytest.fixture(scope="module")
def published() -> dict:
    return json.loads((DOCS / "schemas.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def current() -> dict:
    load_service_events()
    return registry.json_schemas()


def test_every_service_with_events_is_loaded():
    assert "intake.domain.events" in load_service_events()


def test_no_published_event_type_was_changed_or_removed(published, current):
    removed = sorted(set(published) - set(current))
    assert not removed, f"published event types removed: {removed}"
    changed = sorted(t for t in published if published[t] != current[t])
    assert not changed, (
        f"published event types changed in place: {changed}; add a new version with an "
        f"upcaster instead (or, before the first release, {REGENERATE})"
    )


def test_every_event_type_is_published(published, current):
    unpublished = sorted(set(current) - set(published))
    assert not unpublished, f"event types missing from docs/events: {unpublished}; {REGENERATE}"


def test_the_asyncapi_document_is_current():
    on_disk = (DOCS / "asyncapi.json").read_text(encoding="utf-8")
    assert on_disk == dumps(document()), REGENERATE


def test_every_event_type_sits_on_its_services_topic():
    channels = document()["channels"]
    for service, channel in channels.items():
        assert channel["address"] == f"careledger.{service}.events.v1"
        assert all(t.startswith(f"{service}.") for t in channel["messages"])
