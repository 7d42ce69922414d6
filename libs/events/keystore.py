"""The key store: per-scope data keys, wrapped by a key-encryption key, in their own database.

Keeping keys out of the event stores means a backup of an event store never holds them;
destroying (shredding) a scope's key makes its personal fields unreadable in every copy.
"""

import base64
import os
import time

from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from events.errors import KeyShredded, KeyUnavailable
from events.tables import data_keys


def decode_kek(kek_b64: str) -> bytes:
    kek = base64.b64decode(kek_b64)
    if len(kek) != 32:
        raise ValueError("the key-encryption key must be 32 bytes, base64-encoded")
    return kek


class KeyStore:
    """Creates, unwraps and shreds data keys. Unwrapped keys are cached for `cache_seconds`."""

    def __init__(self, engine: AsyncEngine, kek: bytes, cache_seconds: float = 30.0) -> None:
        self.engine, self._kek, self._ttl = engine, kek, cache_seconds
        self._cache: dict[str, tuple[bytes, float]] = {}

    def _cached(self, scope: str) -> bytes | None:
        hit = self._cache.get(scope)
        if hit and hit[1] > time.monotonic():
            return hit[0]
        return None

    def _remember(self, scope: str, key: bytes) -> bytes:
        self._cache[scope] = (key, time.monotonic() + self._ttl)
        return key

    async def key_for_writing(self, scope: str) -> bytes:
        """The scope's key, created on first use; a shredded scope never gets a new one."""
        if (key := self._cached(scope)) is not None:
            return key
        wrapped = aes_key_wrap(self._kek, os.urandom(32))
        async with self.engine.begin() as conn:
            await conn.execute(
                pg_insert(data_keys)
                .values(scope=scope, wrapped_key=wrapped)
                .on_conflict_do_nothing(index_elements=["scope"])
            )
        return await self.key_for_reading(scope)

    async def key_for_reading(self, scope: str) -> bytes:
        if (key := self._cached(scope)) is not None:
            return key
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(data_keys.c.wrapped_key, data_keys.c.shredded_at).where(
                        data_keys.c.scope == scope
                    )
                )
            ).one_or_none()
        if row is None:
            raise KeyUnavailable(f"no data key exists for {scope!r}")
        if row.shredded_at is not None:
            raise KeyShredded(scope)
        return self._remember(scope, aes_key_unwrap(self._kek, row.wrapped_key))

    async def shred(self, scope: str, reason: str) -> None:
        """Destroy the scope's key for good (a tombstone row stays so it is never re-created)."""
        self._cache.pop(scope, None)
        async with self.engine.begin() as conn:
            done = await conn.execute(
                update(data_keys)
                .where(data_keys.c.scope == scope)
                .values(wrapped_key=None, shredded_at=func.now(), shred_reason=reason)
            )
            if done.rowcount == 0:
                await conn.execute(
                    insert(data_keys).values(
                        scope=scope, wrapped_key=None, shredded_at=func.now(), shred_reason=reason
                    )
                )

    async def is_shredded(self, scope: str) -> bool:
        async with self.engine.connect() as conn:
            at = await conn.scalar(
                select(data_keys.c.shredded_at).where(data_keys.c.scope == scope)
            )
        return at is not None
