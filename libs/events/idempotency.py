"""One rule for every POST sent with an `Idempotency-Key`: the same key with the same body gets
the first answer (the route's ids derive from the key, `events.context`), the same key with
another body is refused with a 409 problem, whatever the route.

The key is claimed before the route runs, in a row of its own (autocommit, one statement), so
two requests racing with one key and different bodies cannot both pass. A request that fails
(4xx, 5xx) gives its claim back, so a corrected body may use the key again."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from events.auth import Principal
from events.problems import Problem

HEADER = b"idempotency-key"

# Inserted, or the row a finished request left. A row committed after this statement's snapshot
# is invisible to its SELECT: the caller then asks once more.
CLAIM_SQL = """WITH claimed AS (
  INSERT INTO idempotency_keys (scope, fingerprint) VALUES ($1, $2)
  ON CONFLICT (scope) DO NOTHING RETURNING fingerprint
)
SELECT fingerprint, true FROM claimed
UNION ALL
SELECT fingerprint, false FROM idempotency_keys WHERE scope = $1
LIMIT 1"""
RELEASE_SQL = "DELETE FROM idempotency_keys WHERE scope = $1 AND fingerprint = $2"


@dataclass(frozen=True)
class Claim:
    scope: bytes
    fingerprint: bytes
    new: bool  # this request made the row: it gives it back if it fails


def scope_of(principal: Principal, method: str, path: str, key: str) -> bytes:
    """A key belongs to its caller and its request line: equal keys elsewhere never meet."""
    parts = (principal.organisation or "", principal.subject, method, path, key)
    return hashlib.sha256(json.dumps(parts).encode()).digest()


def fingerprint(body: bytes) -> bytes:
    """Equal for equal JSON whatever its key order or spacing; other bodies byte for byte."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).digest()


async def claim(engine: AsyncEngine, scope: bytes, printed: bytes) -> Claim | None:
    """The claim of this request, or None when the key was used with another body."""
    single = engine.execution_options(isolation_level="AUTOCOMMIT")
    for _ in range(2):
        async with single.connect() as conn:
            row: Any = (await conn.exec_driver_sql(CLAIM_SQL, (scope, printed))).first()
        if row is not None:
            stored, new = row
            return Claim(scope, printed, new) if stored == printed else None
    raise Problem(
        409, "idempotency-in-progress", "A request with this key is in progress", "retry shortly"
    )


async def release(engine: AsyncEngine, held: Claim) -> None:
    if not held.new:
        return
    single = engine.execution_options(isolation_level="AUTOCOMMIT")
    async with single.connect() as conn:
        await conn.exec_driver_sql(RELEASE_SQL, (held.scope, held.fingerprint))
