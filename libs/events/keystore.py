"""The key store: per-scope data keys, wrapped by a key-encryption key (KEK), in their own
database.

Keeping keys out of the event stores means a backup of an event store never holds them;
destroying (shredding) a scope's key makes its personal fields unreadable wherever they were
copied, once no copy of the wrapped key is left that a KEK still in existence can open (see
docs/operations.md: key-store backups, WAL, and KEK rotation).

`python -m events.keystore rotate` re-wraps every live data key under a new KEK and retires the
old one; the KEKs come from files or the environment, never from the command line.
"""

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events.errors import KeyShredded, KeyUnavailable
from events.tables import data_keys, retired_keks


def decode_kek(kek_b64: str) -> bytes:
    kek = base64.b64decode(kek_b64)
    if len(kek) != 32:
        raise ValueError("the key-encryption key must be 32 bytes, base64-encoded")
    return kek


def kek_id(kek: bytes) -> str:
    """The name a KEK goes by in the key store: a MAC of a fixed label under the KEK, which
    tells KEKs apart and reveals nothing about them."""
    return hmac.new(kek, b"careledger/kek-id", hashlib.sha256).hexdigest()[:16]


def _unwrap(keks: Iterable[bytes], wrapped: bytes) -> bytes | None:
    for kek in keks:
        with contextlib.suppress(InvalidUnwrap):
            return aes_key_unwrap(kek, wrapped)
    return None


# A new scope's key, unless the scope has one (or a tombstone): built once, values bound per call.
CREATE_KEY = (
    pg_insert(data_keys)
    .on_conflict_do_nothing(index_elements=["scope"])
    .returning(data_keys.c.scope)
)


class KeyStore:
    """Creates, unwraps and shreds data keys. Unwrapped keys are cached for `cache_seconds`.

    New keys are wrapped by `kek`; during a KEK rotation `previous` holds the KEK being
    retired, so that keys not yet re-wrapped stay readable."""

    def __init__(
        self,
        engine: AsyncEngine,
        kek: bytes,
        cache_seconds: float = 30.0,
        previous: Sequence[bytes] = (),
    ) -> None:
        self.engine, self._kek, self._ttl = engine, kek, cache_seconds
        self._kek_id = kek_id(kek)
        self._keks = {kek_id(k): k for k in (kek, *previous)}  # every KEK it may unwrap with
        self._cache: dict[str, tuple[bytes, float]] = {}
        # One statement, its own transaction: no BEGIN and COMMIT round trips around it.
        self._single = engine.execution_options(isolation_level="AUTOCOMMIT")

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
        key = os.urandom(32)
        row = {"scope": scope, "wrapped_key": aes_key_wrap(self._kek, key), "kek_id": self._kek_id}
        async with self._single.connect() as conn:
            created = (await conn.execute(CREATE_KEY, row)).first() is not None
        if created:  # ours is the scope's key: no need to read it back
            return self._remember(scope, key)
        return await self.key_for_reading(scope)  # another writer's, or shredded

    async def key_for_reading(self, scope: str) -> bytes:
        if (key := self._cached(scope)) is not None:
            return key
        query = select(data_keys.c.wrapped_key, data_keys.c.shredded_at, data_keys.c.kek_id)
        async with self._single.connect() as conn:
            row = (await conn.execute(query.where(data_keys.c.scope == scope))).one_or_none()
        if row is None:
            raise KeyUnavailable(f"no data key exists for {scope!r}")
        if row.shredded_at is not None:
            raise KeyShredded(scope)
        return self._remember(scope, self._open(scope, row.wrapped_key, row.kek_id))

    def _open(self, scope: str, wrapped: bytes, wrapped_by: str | None) -> bytes:
        if wrapped_by is not None and wrapped_by not in self._keks:
            raise KeyUnavailable(
                f"the data key of {scope!r} is wrapped by KEK {wrapped_by}, which this process "
                "does not hold (set CARELEDGER_KEK, or CARELEDGER_PREVIOUS_KEK while rotating)"
            )
        # A key wrapped before KEK ids were recorded may be wrapped by any KEK held.
        keks = self._keks.values() if wrapped_by is None else [self._keks[wrapped_by]]
        key = _unwrap(keks, wrapped)
        if key is None:
            raise KeyUnavailable(f"no KEK this process holds unwraps the data key of {scope!r}")
        return key

    async def shred(self, scope: str, reason: str) -> None:
        """Destroy the scope's key for good (a tombstone row stays so it is never re-created)."""
        await self.shred_scopes([scope], reason)

    async def shred_scopes(self, scopes: Iterable[str], reason: str) -> None:
        """Destroy the keys of all these scopes together, in one transaction: a child's scope
        and its cases', say (see libs/events/README.md, "Key scopes"). A scope that has no key
        yet gets a tombstone, so none is ever made for it; one already shredded keeps the time
        and reason of its first shred."""
        wanted = sorted(set(scopes))
        if not wanted:
            return
        for scope in wanted:
            self._cache.pop(scope, None)
        rows = [{"scope": s, "shredded_at": func.now(), "shred_reason": reason} for s in wanted]
        insert = pg_insert(data_keys).values(rows)
        shred = insert.on_conflict_do_update(
            index_elements=["scope"],
            set_={
                "wrapped_key": None,
                "shredded_at": func.coalesce(data_keys.c.shredded_at, func.now()),
                "shred_reason": func.coalesce(
                    data_keys.c.shred_reason, insert.excluded.shred_reason
                ),
            },
        )
        async with self.engine.begin() as conn:
            await conn.execute(shred)

    async def is_shredded(self, scope: str) -> bool:
        async with self.engine.connect() as conn:
            at = await conn.scalar(
                select(data_keys.c.shredded_at).where(data_keys.c.scope == scope)
            )
        return at is not None


# ------------------------------------------------------------------------------ KEK rotation

# Live keys the old KEK wraps, or that no KEK id was recorded for (before migration k0002).
NEXT_BATCH = text(
    "SELECT scope, wrapped_key FROM data_keys "
    "WHERE shredded_at IS NULL AND (kek_id = :old OR kek_id IS NULL) AND scope > :after "
    "ORDER BY scope LIMIT :n"
)
COUNT = text(
    "SELECT count(*) FROM data_keys WHERE shredded_at IS NULL AND (kek_id = :old OR kek_id IS NULL)"
)
# Compare-and-set on the wrapped key: a key shredded (or re-wrapped) meanwhile is left alone.
REWRAP = text(
    "UPDATE data_keys k SET wrapped_key = r.wrapped, kek_id = :new "
    "FROM unnest(CAST(:scopes AS text[]), CAST(:was AS bytea[]), CAST(:now AS bytea[])) "
    "AS r(scope, was, wrapped) "
    "WHERE k.scope = r.scope AND k.wrapped_key = r.was AND k.shredded_at IS NULL"
)


async def rotate(
    engine: AsyncEngine,
    old: bytes,
    new: bytes,
    *,
    batch: int = 500,
    progress: Callable[[str], Any] = print,
) -> int:
    """Re-wrap every live data key that `old` wraps under `new`, then retire `old`: no key can
    be wrapped by it again. Returns how many keys were re-wrapped. Safe to rerun, and to run
    while services (holding `new` as CARELEDGER_KEK and `old` as CARELEDGER_PREVIOUS_KEK)
    create and shred keys. Shredded keys are not touched: they stay shredded."""
    old_id, new_id = kek_id(old), kek_id(new)
    if old_id == new_id:
        raise ValueError("the old and the new KEK are the same key")
    async with engine.connect() as conn:
        total = await conn.scalar(COUNT, {"old": old_id})
    progress(f"{total} live data keys to re-wrap from KEK {old_id} to KEK {new_id}")
    done, after = 0, ""
    while rows := await _next_batch(engine, old_id, after, batch):
        done += await _rewrap(engine, rows, old, new)
        after = rows[-1].scope
        progress(f"re-wrapped {done} of {total}")
    await _retire(engine, old_id)
    progress(f"KEK {old_id} is retired: destroy every copy of it")
    return done


async def _next_batch(engine: AsyncEngine, old_id: str, after: str, n: int) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(NEXT_BATCH, {"old": old_id, "after": after, "n": n})).all())


async def _rewrap(engine: AsyncEngine, rows: list[Any], old: bytes, new: bytes) -> int:
    rewrapped = []
    for row in rows:
        # A key without a recorded KEK may already be wrapped by the new one.
        key = _unwrap([old, new], row.wrapped_key)
        if key is None:
            raise RuntimeError(
                f"neither KEK unwraps the data key of {row.scope!r}; nothing retired"
            )
        rewrapped.append(aes_key_wrap(new, key))
    params = {
        "new": kek_id(new),
        "scopes": [r.scope for r in rows],
        "was": [r.wrapped_key for r in rows],
        "now": rewrapped,
    }
    async with engine.begin() as conn:
        return (await conn.execute(REWRAP, params)).rowcount


async def _retire(engine: AsyncEngine, old_id: str) -> None:
    async with engine.begin() as conn:
        # Writers wait until this commits: no key gets wrapped by the old KEK after the count.
        await conn.execute(text("LOCK TABLE data_keys IN SHARE MODE"))
        left = await conn.scalar(COUNT, {"old": old_id})
        if left:
            raise RuntimeError(
                f"{left} live data keys are still wrapped by KEK {old_id} (made by a service "
                "that still wraps with it?): give every service the new KEK and run again"
            )
        await conn.execute(pg_insert(retired_keks).values(kek_id=old_id).on_conflict_do_nothing())


def _kek_from(env: Mapping[str, str], name: str) -> bytes:
    """A KEK from the file named by `<name>_FILE`, or from `<name>` itself."""
    if path := env.get(f"{name}_FILE"):
        return decode_kek(Path(path).read_text().strip())
    if value := env.get(name):
        return decode_kek(value)
    raise SystemExit(f"set {name}_FILE (a file holding the KEK, base64) or {name}")


async def _rotate_command(env: Mapping[str, str], batch: int) -> int:
    url = env.get("KEYSTORE_MIGRATION_DATABASE_URL") or env.get("KEYSTORE_DATABASE_URL")
    if not url:
        raise SystemExit("set KEYSTORE_MIGRATION_DATABASE_URL (the key store's owner)")
    old = _kek_from(env, "CARELEDGER_PREVIOUS_KEK")
    new = _kek_from(env, "CARELEDGER_KEK")
    engine = create_async_engine(url)
    try:
        await rotate(engine, old, new, batch=batch, progress=lambda m: print(m, flush=True))
    except (RuntimeError, ValueError) as exc:
        print(f"rotation stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    return 0


def main(argv: Sequence[str], env: Mapping[str, str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m events.keystore",
        description="Key store maintenance. KEKs are read from CARELEDGER_KEK(_FILE) (the new, "
        "current one) and CARELEDGER_PREVIOUS_KEK(_FILE) (the one to retire), the database "
        "from KEYSTORE_MIGRATION_DATABASE_URL (or KEYSTORE_DATABASE_URL).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    rotate_cmd = commands.add_parser("rotate", help="re-wrap every live key, retire the old KEK")
    rotate_cmd.add_argument("--batch", type=int, default=500, help="keys per transaction")
    args = parser.parse_args(argv)
    return asyncio.run(_rotate_command(env, args.batch))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
