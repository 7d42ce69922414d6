"""Contract: an envelope from a newer producer, carrying attributes this code does not know, is
still read, and its hash still verifies (consumer runner issue, item 10).

How the hash is kept honest: a producer seals the hash over its whole document (everything but
`hash` and `position`, `seal_document`). Unknown attributes are kept on the envelope, so
`compute_hash()` covers them as well, i.e. exactly what was sealed. An attribute added to the
document *after* sealing (by a relay, a proxy, an attacker) is not covered by the hash: such a
record does not verify, and the consumer dead-letters it as `hash-mismatch` rather than act on
content nobody sealed."""

import json
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord

from events.canonical import GENESIS_HASH, sha256_hex
from events.consumer import HashMismatch, decode_record
from events.envelope import Envelope, Metadata, seal_document

FUTURE_ATTRIBUTES = {"tenantid": "tenant-synthetic-1", "traceparent": {"version": "00", "n": 3}}


def current_document() -> dict[str, Any]:
    return seal_document(
        source="/careledger/test",
        event_type="case.noted.v1",
        dataschema="urn:careledger:schema:case.noted.v1",
        stream_id="case-future-1",
        version=1,
        meta=Metadata(actor="worker-synthetic-1", correlation_id="corr-1"),
        key_scope="case-future-1",
        data={"note_code": "visit", "seq": 1},
        prev_hash=GENESIS_HASH,
    ).document


def future_document() -> dict[str, Any]:
    """What a newer producer would send: more attributes, all of them under its hash."""
    document = {key: value for key, value in current_document().items() if key != "hash"}
    document.update(FUTURE_ATTRIBUTES)
    return {**document, "hash": sha256_hex(document)}


def record(document: dict[str, Any]) -> ConsumerRecord:
    value = json.dumps(document).encode()
    return ConsumerRecord("t", 0, 7, 0, 0, b"case-future-1", value, None, 13, len(value), [])


def test_an_envelope_with_attributes_from_a_newer_producer_decodes_and_its_hash_verifies():
    """Item 10: unknown envelope attributes are ignored by the code, not refused."""
    envelope = Envelope.model_validate(json.loads(json.dumps(future_document())))
    assert envelope.data == {"note_code": "visit", "seq": 1}
    assert envelope.compute_hash() == envelope.hash


def test_the_consumer_decodes_a_future_envelope_and_passes_its_attributes_on_unchanged():
    """Item 10: the runner's decoding verifies the hash over the whole received document, and
    a forwarded copy (`to_wire`) still carries what the newer producer sealed."""
    sent = future_document()
    envelope = decode_record(record(sent))
    assert envelope.to_wire() == sent
    assert envelope.hash == sent["hash"]


def test_an_attribute_added_after_sealing_does_not_verify():
    """Item 10 (how a future field that would break hash verification is handled): it is not
    covered by the hash, so the record is refused as tampered, never handled unverified."""
    document = {**current_document(), **FUTURE_ATTRIBUTES}
    with pytest.raises(HashMismatch):
        decode_record(record(document))


def test_a_changed_value_does_not_verify():
    """Consumer-side tamper evidence: content changed after sealing is caught on decode."""
    document = current_document()
    document["data"] = {**document["data"], "note_code": "forged"}
    with pytest.raises(HashMismatch):
        decode_record(record(document))
