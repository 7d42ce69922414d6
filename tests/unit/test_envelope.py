"""Envelope, canonical hashing and registry: pure code, property-tested."""

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events.canonical import GENESIS_HASH, canonical_json, sha256_hex
from events.envelope import Envelope, Metadata, make_envelope
from events.errors import UnknownEventType
from events.registry import EventData, Registry
from tests.sample_events import ChildReported, sample_registry

# RFC 8785 hashes I-JSON: integers within +-(2**53 - 1).
json_scalars = (
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=6)
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def envelope(data: dict, time: datetime, version: int = 1, actor: str = "worker-1") -> Envelope:
    return make_envelope(
        source="/careledger/test",
        event_type="case.noted.v1",
        dataschema="urn:careledger:schema:case.noted.v1",
        stream_id="case-1",
        version=version,
        meta=Metadata(actor=actor, correlation_id="corr-1"),
        key_scope="case-1",
        data=data,
        prev_hash=GENESIS_HASH,
        time=time,
    )


@given(data=json_objects, time=times, version=st.integers(1, 10_000))
def test_envelope_survives_a_round_trip_through_json_with_its_hash_intact(data, time, version):
    original = envelope(data, time, version)
    wire = json.loads(json.dumps(original.to_wire()))
    restored = Envelope.model_validate(wire)
    assert restored == original
    assert restored.compute_hash() == original.hash


@given(data=json_objects)
def test_canonical_json_ignores_key_order(data):
    reordered = dict(reversed(list(data.items())))
    assert canonical_json(reordered) == canonical_json(data)
    assert sha256_hex(reordered) == sha256_hex(data)


@given(data=json_objects, time=times, key=st.text(min_size=1, max_size=8), value=json_scalars)
def test_any_change_to_the_data_changes_the_hash(data, time, key, value):
    original = envelope(data, time)
    changed = {**data, key: value}
    if changed == data:
        return
    assert envelope(changed, time).hash != original.hash


@given(time=times)
def test_a_different_actor_changes_the_hash(time):
    assert envelope({}, time, actor="a").hash != envelope({}, time, actor="b").hash


def test_old_versions_are_upcast_on_read():
    event = sample_registry.load("child.reported.v1", {"child_name": "n", "description": "d"})
    assert isinstance(event, ChildReported)
    assert event.address is None and event.emergency is False


def test_an_unregistered_type_is_refused_by_name():
    with pytest.raises(UnknownEventType, match=r"no\.such"):
        sample_registry.load("no.such.v1", {})
    with pytest.raises(UnknownEventType, match="not a versioned"):
        sample_registry.load("unversioned", {})


def test_personal_fields_must_exist_on_the_model():
    with pytest.raises(ValueError, match="not on the model"):

        @Registry().register("x.y", 1, personal={"missing"})
        class XY(EventData):
            present: str


def test_the_same_type_cannot_be_registered_twice():
    reg = Registry()
    reg.register("x.y", 1)(type("A", (EventData,), {}))
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("x.y", 1)(type("B", (EventData,), {}))


def test_json_schemas_cover_every_version_and_mark_personal_fields():
    schemas = sample_registry.json_schemas()
    assert set(schemas) >= {"child.reported.v1", "child.reported.v2", "case.noted.v1"}
    v2 = schemas["child.reported.v2"]
    assert v2["$id"] == "urn:careledger:schema:child.reported.v2"
    assert v2["x-personal-fields"] == ["address", "child_name", "description"]
    assert "emergency" in v2["properties"]
