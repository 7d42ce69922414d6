"""Canonical JSON (RFC 8785) and the hash that links events into a per-stream chain."""

import hashlib
from typing import Any

import rfc8785

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Bytes that are equal exactly when the JSON values are equal (key order, spacing aside)."""
    return rfc8785.dumps(value)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()
