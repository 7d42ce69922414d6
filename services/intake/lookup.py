"""Keyed digests that let the child registry find a child by resident ID number or birth date
without keeping either in clear: HMAC-SHA256 under a key derived from the key-encryption key.

**Resolution**: a digest, unlike a plain hash, cannot be reversed by trying every possible ID
number (there are only about 10^10) without the key. Rotating the KEK changes the digests;
the registry then has to be rebuilt from the events.
"""

import hashlib
import hmac
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from intake.domain.identity import normalise_id

INFO = b"careledger/intake/child-lookup/v1"


def lookup_key(kek: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(kek)


def digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def id_digest(key: bytes, resident_id: str) -> str:
    return digest(key, "resident_id", normalise_id(resident_id))


def birth_digest(key: bytes, birth_date: date) -> str:
    return digest(key, "birth_date", birth_date.isoformat())
