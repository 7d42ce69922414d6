"""Field-level encryption of personal data with a per-scope (per-case) AES-256-GCM data key.

A personal field's value is replaced by `{"$enc": base64(nonce || ciphertext)}`; the additional
authenticated data binds it to its event id and field name, so a ciphertext cannot be moved
to another event or field unnoticed.
"""

import base64
import json
import os
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENC = "$enc"
NONCE_BYTES = 12


class DataKeys(Protocol):
    async def key_for_writing(self, scope: str) -> bytes: ...

    async def key_for_reading(self, scope: str) -> bytes: ...


def is_token(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {ENC}


def _aad(event_id: str, field: str) -> bytes:
    return f"{event_id}/{field}".encode()


def seal(key: bytes, event_id: str, field: str, value: Any) -> dict[str, str]:
    return _seal_with(AESGCM(key), event_id, field, value)


def _seal_with(aead: AESGCM, event_id: str, field: str, value: Any) -> dict[str, str]:
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + aead.encrypt(nonce, orjson.dumps(value), _aad(event_id, field))
    return {ENC: base64.b64encode(sealed).decode()}


def open_token(key: bytes, event_id: str, field: str, token: dict[str, str]) -> Any:
    raw = base64.b64decode(token[ENC])
    plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(event_id, field))
    return json.loads(plain)


class ScopeSealer:
    """Encrypts the personal fields of the events of one batch under one scope's key. The key
    is fetched (created, for a new scope) at the first personal field, and one AESGCM object
    serves the whole batch: making one costs more than encrypting a short field."""

    def __init__(self, keys: DataKeys, scope: str) -> None:
        self.keys, self.scope = keys, scope
        self._aead: AESGCM | None = None

    async def encrypt(
        self, data: dict[str, Any], personal: frozenset[str], event_id: str
    ) -> dict[str, Any]:
        present = [f for f in personal if data.get(f) is not None]
        if not present:
            return data
        if self._aead is None:
            self._aead = AESGCM(await self.keys.key_for_writing(self.scope))
        aead = self._aead
        return {**data, **{f: _seal_with(aead, event_id, f, data[f]) for f in present}}


class FieldCipher:
    """Encrypts and decrypts the declared personal fields of event data."""

    def __init__(self, keys: DataKeys) -> None:
        self.keys = keys

    def sealer(self, scope: str) -> ScopeSealer:
        return ScopeSealer(self.keys, scope)

    async def encrypt(
        self, data: dict[str, Any], personal: frozenset[str], scope: str, event_id: str
    ) -> dict[str, Any]:
        return await self.sealer(scope).encrypt(data, personal, event_id)

    async def decrypt(self, data: dict[str, Any], scope: str, event_id: str) -> dict[str, Any]:
        sealed = [f for f, v in data.items() if is_token(v)]
        if not sealed:
            return data
        key = await self.keys.key_for_reading(scope)
        return {**data, **{f: open_token(key, event_id, f, data[f]) for f in sealed}}
