"""Canonical JSON (RFC 8785) and the hash that links events into a per-stream chain.

`rfc8785` is the reference implementation. It is pure Python, and hashing every appended event
through it costs more than the database write, so values made only of strings, booleans, nulls,
safe integers and BMP-keyed objects take orjson's encoder instead: for exactly those values,
sorted keys, no whitespace and minimal string escaping produce the RFC 8785 bytes
(tests/unit/test_canonical.py checks the two agree). Anything else (floats, huge integers,
astral-plane keys, lone surrogates) goes to `rfc8785`.
"""

import hashlib
from typing import Any

import orjson
import rfc8785

GENESIS_HASH = "0" * 64
SAFE_INT = 2**53 - 1  # RFC 8785 / I-JSON: integers beyond this are not exact in IEEE 754
# orjson sorts keys by their UTF-8 bytes: the UTF-16 order RFC 8785 asks for, within the BMP.
_SORTED = orjson.OPT_SORT_KEYS


def _bmp(text: str) -> bool:
    """Code-point order equals RFC 8785's UTF-16 order for keys within the BMP."""
    return max(text) <= "\uffff"


def _plain(value: Any) -> bool:
    """Whether `value` holds nothing on which json.dumps and RFC 8785 could differ. Exact
    types only (a str or int subclass goes to `rfc8785`); loops, not generators: this runs
    for every appended event."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -SAFE_INT <= value <= SAFE_INT
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or _bmp(key)):
                return False
            if type(item) is not str and not _plain(item):  # most members are strings
                return False
        return True
    if kind is list or kind is tuple:
        return all(_plain(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """Bytes that are equal exactly when the JSON values are equal (key order, spacing aside)."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=_SORTED)
        except orjson.JSONEncodeError:  # a lone surrogate: left to RFC 8785's own answer
            pass
    return rfc8785.dumps(value)


def sha256_hex(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()
