"""The event envelope: CloudEvents 1.0 attributes plus stream, attribution and chain fields.

Hashes are computed over the stored form of the event (personal fields already encrypted),
so a chain stays verifiable after a case's data key is shredded.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from events.canonical import GENESIS_HASH, canonical_json, sha256_hex

HASHED_EXCLUDE = {"hash", "position"}


def new_id() -> str:
    return str(uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_time(value: datetime) -> str:
    """The one text form of an event time (UTC, `Z`): hashed, stored and published as such."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Envelope(BaseModel):
    """One stored, immutable event. `data` holds the stored form (ciphertext tokens).

    Attributes a newer producer adds are kept, not refused: refusing them would make every
    older consumer dead-letter everything. Kept, they stay in `hashed_content()`, so the hash
    is computed over the whole document that was sealed and still verifies, and `to_wire()`
    passes them on unchanged. Nothing here reads them."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str
    time: datetime
    dataschema: str
    datacontenttype: Literal["application/json"] = "application/json"
    stream_version: int = Field(ge=1)
    actor: str
    correlation_id: str
    causation_id: str | None = None
    key_scope: str
    prev_hash: str = GENESIS_HASH
    hash: str = ""
    data: dict[str, Any]
    position: int | None = None

    @field_serializer("time")
    def _iso_time(self, value: datetime) -> str:
        return iso_time(value)

    def hashed_content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=HASHED_EXCLUDE)

    def compute_hash(self) -> str:
        return sha256_hex(self.hashed_content())

    def sealed(self) -> "Envelope":
        """This envelope with `hash` set over everything else."""
        return self.model_copy(update={"hash": self.compute_hash()})

    def to_wire(self) -> dict[str, Any]:
        """Structured-mode CloudEvent as published to Kafka (no store position)."""
        return self.model_dump(mode="json", exclude={"position"})

    @property
    def stream_id(self) -> str:
        return self.subject

    @property
    def event_name(self) -> str:
        """`case.opened` of `case.opened.v1`."""
        return self.type.rsplit(".v", 1)[0]


class Metadata(BaseModel):
    """Who caused a batch of events and why; the same for every event in one command."""

    model_config = ConfigDict(frozen=True)

    actor: str
    correlation_id: str = Field(default_factory=new_id)
    causation_id: str | None = None


@dataclass(frozen=True)
class Sealed:
    """A new event's envelope as JSON: the document and its text."""

    document: dict[str, Any]
    text: str

    @property
    def hash(self) -> str:
        return str(self.document["hash"])

    def envelope(self, position: int | None = None) -> Envelope:
        return Envelope.model_validate({**self.document, "position": position})


def seal_document(
    *,
    source: str,
    event_type: str,
    dataschema: str,
    stream_id: str,
    version: int,
    meta: Metadata,
    key_scope: str,
    data: dict[str, Any],
    prev_hash: str,
    event_id: str | None = None,
    time: datetime | str | None = None,
) -> "Sealed":
    """An envelope's JSON document with its hash, built as a plain dict (what
    `Envelope.to_wire()` would give) and serialised once: the store appends thousands a second.
    `time` may be given as `iso_time`'s text, so that a batch formats its one time once."""
    document = {
        "specversion": "1.0",
        "id": event_id or new_id(),
        "source": source,
        "type": event_type,
        "subject": stream_id,
        "time": time if isinstance(time, str) else iso_time(time or utcnow()),
        "dataschema": dataschema,
        "datacontenttype": "application/json",
        "stream_version": version,
        "actor": meta.actor,
        "correlation_id": meta.correlation_id,
        "causation_id": meta.causation_id,
        "key_scope": key_scope,
        "prev_hash": prev_hash,
        "data": data,
    }
    canonical = canonical_json(document)
    digest = hashlib.sha256(canonical).hexdigest()
    document["hash"] = digest
    # The stored text is the canonical form with the hash appended as a last member: one
    # encoding serves both the hash and the database (JSON does not care about member order).
    text = canonical[:-1].decode() + f',"hash":"{digest}"}}'
    return Sealed(document, text)


def make_envelope(**fields: Any) -> Envelope:
    """A sealed envelope; takes the arguments of `seal_document`."""
    return seal_document(**fields).envelope()
