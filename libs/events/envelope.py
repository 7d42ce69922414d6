"""The event envelope: CloudEvents 1.0 attributes plus stream, attribution and chain fields.

Hashes are computed over the stored form of the event (personal fields already encrypted),
so a chain stays verifiable after a case's data key is shredded.
"""

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from events.canonical import GENESIS_HASH, sha256_hex

HASHED_EXCLUDE = {"hash", "position"}


def new_id() -> str:
    return str(uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One stored, immutable event. `data` holds the stored form (ciphertext tokens)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

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
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")

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


def make_envelope(
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
    time: datetime | None = None,
) -> Envelope:
    return Envelope(
        id=event_id or new_id(),
        source=source,
        type=event_type,
        subject=stream_id,
        time=time or utcnow(),
        dataschema=dataschema,
        stream_version=version,
        actor=meta.actor,
        correlation_id=meta.correlation_id,
        causation_id=meta.causation_id,
        key_scope=key_scope,
        prev_hash=prev_hash,
        data=data,
    ).sealed()
