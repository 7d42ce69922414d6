"""Field-level encryption of personal data with a per-scope (per-case) AES-256-GCM data key.

A personal field's value is replaced by `{"$enc": base64(nonce || ciphertext)}`; the additional
authenticated data binds it to its event id and field name, so a ciphertext cannot be moved
to another event or field unnoticed.
"""

import base64
import json
import os
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENC = "$enc"
_encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per field
NONCE_BYTES = 12


class DataKeys(Protocol):
    async def key_for_writing(self, scope: str) -> bytes: ...

    async def key_for_reading(self, scope: str) -> bytes: ...


def is_token(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {ENC}


def _aad(event_id: str, field: str) -> bytes:
    return f"{event_id}/{field}".encode()


def seal(key: bytes, event_id: str, field: str, value: Any) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    plain = _encode(value).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, _aad(event_id, field))
    return {ENC: base64.b64encode(sealed).decode()}


def open_token(key: bytes, event_id: str, field: str, token: dict[str, str]) -> Any:
    raw = base64.b64decode(token[ENC])
    plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(event_id, field))
    return json.loads(plain)


class FieldCipher:
    """Encrypts and decrypts the declared personal fields of event data."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    async def encrypt(
        self, data: dict[str, Any], personal: frozenset[str], scope: str, event_id: str
    ) -> dict[str, Any]:
        present = [f for f in personal if data.get(f) is not None]
        if not present:
            return data
        key = await self.keys.key_for_writing(scope)
        return {**data, **{f: seal(key, event_id, f, data[f]) for f in present}}

    async def decrypt(self, data: dict[str, Any], scope: str, event_id: str) -> dict[str, Any]:
        sealed = [f for f, v in data.items() if is_token(v)]
        if not sealed:
            return data
        key = await self.keys.key_for_reading(scope)
        return {**data, **{f: open_token(key, event_id, f, data[f]) for f in sealed}}
