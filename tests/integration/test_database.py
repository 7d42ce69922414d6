"""Pooled connections the server closed are replaced at checkout, without a ping per checkout."""

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events.database import make_engine


async def _pooled_backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")))


async def _terminate(stack: dict[str, str], pid: int) -> None:
    admin = await asyncpg.connect(stack["CARELEDGER_PG_ADMIN_URL"])
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the pooled connection's transport reads the server's goodbye


async def test_a_connection_the_server_closed_is_replaced_at_checkout(
    stack: dict[str, str], database_url: str
) -> None:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        before = await _pooled_backend_pid(engine)
        await _terminate(stack, before)
        after = await _pooled_backend_pid(engine)  # no error: a fresh connection
        assert after != before
    finally:
        await engine.dispose()


async def test_without_the_checkout_hook_the_first_use_fails(
    stack: dict[str, str], database_url: str
) -> None:
    """What the hook prevents (and what makes the test above able to fail)."""
    engine = create_async_engine(database_url, pool_size=1, max_overflow=0)
    try:
        before = await _pooled_backend_pid(engine)
        await _terminate(stack, before)
        with pytest.raises(DBAPIError):
            await _pooled_backend_pid(engine)
    finally:
        await engine.dispose()
