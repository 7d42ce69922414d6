"""What every command carries besides its own fields: who caused it and, for a request sent
with an `Idempotency-Key`, the seed its ids derive from and the fingerprint of its body.

A command with a seed gets deterministic ids (uuid5 of seed and part), so a retried request
finds its events stored and answers what the first one recorded, and a reused key with another
body is told apart by the fingerprint (409)."""

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from events.envelope import Envelope, Metadata, new_id
from events.registry import EventData
from events.store import NewEvent
from events.uow import caused_by

ID_NAMESPACE = uuid.UUID("3f9d4a52-6a51-4b0e-9a53-5c1b0f6e7d21")


def stable_id(seed: str, part: str) -> str:
    """The same id for the same seed and part, every time."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{seed}/{part}"))


def fingerprint(body: Any) -> str:
    """A digest of a request body (JSON-able), equal for equal bodies whatever the key order."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Context:
    metadata: Metadata
    seed: str | None = None
    fingerprint: str | None = None

    @property
    def actor(self) -> str:
        return self.metadata.actor

    def id_for(self, part: str) -> str:
        """A stable id under a seed, a fresh one without."""
        return stable_id(self.seed, part) if self.seed is not None else new_id()

    def keyed(self, events: Sequence[EventData]) -> list[NewEvent]:
        """The events to append, each with the id a retry would give it too (under a seed);
        without a seed the store gives fresh ids."""
        return [
            NewEvent(e, stable_id(self.seed, str(i)) if self.seed is not None else None)
            for i, e in enumerate(events)
        ]

    def retried(self, stored_ids: set[str] | list[str]) -> bool:
        """Did an earlier request with this seed already append its first event?"""
        return self.seed is not None and stable_id(self.seed, "0") in stored_ids

    @classmethod
    def caused_by(cls, envelope: Envelope, actor: str) -> "Context":
        """The context of a command issued in reaction to `envelope` (its id is the seed, so a
        redelivered event appends nothing twice)."""
        return cls(caused_by(envelope, actor), seed=envelope.id)
