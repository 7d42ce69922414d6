"""Hints that a child may already be in the registry: one archive per child (一人一档, JX-9.1).

The same normalised resident ID is an exact match. A child without an ID (or compared with one
without an ID) is a likely duplicate when name and birth date agree and the addresses are
similar: a `difflib` ratio of at least 0.8, or a shared beginning that covers most of the
shorter address (down to the estate, not just the district: `宁夏回族自治区银川市兴庆区` alone is
13 characters). Matches are suggestions for a person to review; nothing here merges records. Reasons
never repeat the personal data they compare.
"""

import unicodedata
from collections.abc import Iterable
from datetime import date
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel, ConfigDict

from intake.domain.identity import normalise_id

RULE = "JX-9.1"
ADDRESS_SIMILARITY_THRESHOLD = 0.8  # difflib ratio of normalised addresses
ADDRESS_PREFIX_MIN_SHARE = 0.7  # shared leading characters / length of the shorter address
ID_SCORE = 1.0
NO_ADDRESS_SCORE = 0.4
_NAME_DOTS = "·•‧∙⋅・."  # separators in transcribed names (e.g. 阿依古丽·买买提) -> "·"


class ChildRecord(BaseModel):
    """What the registry knows about a child for duplicate detection."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    birth_date: date | None = None
    address: str | None = None
    resident_id: str | None = None


class Match(BaseModel):
    """An existing record that may be the same child, with how sure and why."""

    model_config = ConfigDict(frozen=True)

    record_id: str
    kind: Literal["resident_id", "name_birth_address"]
    score: float
    reasons: list[str]
    rule: str = RULE


def likely_duplicates(candidate: ChildRecord, existing: Iterable[ChildRecord]) -> list[Match]:
    """Existing records that may be `candidate`, best first; the candidate itself is skipped."""
    matches = [
        match
        for record in existing
        if record.id != candidate.id and (match := _match(candidate, record)) is not None
    ]
    return sorted(matches, key=lambda m: (-m.score, m.record_id))


def normalise_name(name: str) -> str:
    """Full-width to half-width, no blanks, one kind of name-separator dot, case-folded."""
    text = "".join(unicodedata.normalize("NFKC", name).split())
    return "".join("·" if char in _NAME_DOTS else char for char in text).casefold()


def normalise_address(address: str) -> str:
    """Full-width to half-width, no blanks, case-folded."""
    return "".join(unicodedata.normalize("NFKC", address).split()).casefold()


def _match(candidate: ChildRecord, record: ChildRecord) -> Match | None:
    ours, theirs = _id_of(candidate), _id_of(record)
    if ours and theirs:
        return _id_match(record) if ours == theirs else None
    return _personal_match(candidate, record)


def _id_of(record: ChildRecord) -> str:
    return normalise_id(record.resident_id) if record.resident_id else ""


def _id_match(record: ChildRecord) -> Match:
    reasons = ["same resident ID number"]
    return Match(record_id=record.id, kind="resident_id", score=ID_SCORE, reasons=reasons)


def _personal_match(candidate: ChildRecord, record: ChildRecord) -> Match | None:
    name = normalise_name(candidate.name)
    if not name or name != normalise_name(record.name):
        return None
    if candidate.birth_date is None or candidate.birth_date != record.birth_date:
        return None
    scored = _address_score(candidate.address, record.address)
    if scored is None:
        return None
    score, address_reason = scored
    reasons = ["same name (normalised)", "same birth date", address_reason]
    return Match(record_id=record.id, kind="name_birth_address", score=score, reasons=reasons)


def _address_score(ours: str | None, theirs: str | None) -> tuple[float, str] | None:
    """Score in [0.5, 0.9] for similar addresses, a low score if one is missing, else None."""
    a, b = normalise_address(ours or ""), normalise_address(theirs or "")
    if not a or not b:
        return NO_ADDRESS_SCORE, "address missing on one side: compare by hand"
    ratio = SequenceMatcher(None, a, b).ratio()
    prefix = _common_prefix_length(a, b)
    share = prefix / min(len(a), len(b))
    if ratio < ADDRESS_SIMILARITY_THRESHOLD and share < ADDRESS_PREFIX_MIN_SHARE:
        return None
    reason = f"similar address (ratio {ratio:.2f}, {prefix} leading characters shared)"
    return round(0.5 + 0.4 * ratio, 3), reason


def _common_prefix_length(a: str, b: str) -> int:
    length = 0
    for ours, theirs in zip(a, b, strict=False):
        if ours != theirs:
            break
        length += 1
    return length
