"""Runs the Alembic migrations of the event store and of the key store.

Both trees keep their own version table, so a service's own migrations (projections) can
live in the same database beside them. An advisory lock serialises concurrent starters.
"""

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

TREES = {"store": "alembic_version_events", "keys": "alembic_version_keys"}
HERE = Path(__file__).parent / "migrations"


def alembic_config(location: Path, version_table: str, connection: Connection | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["connection"] = connection
    cfg.attributes["version_table"] = version_table
    return cfg


def _upgrade(connection: Connection, location: Path, version_table: str) -> None:
    lock = {"k": f"migrate:{version_table}"}
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), lock)
    command.upgrade(alembic_config(location, version_table, connection), "head")


async def upgrade(engine: AsyncEngine, tree: str) -> None:
    """Migrate the backbone's own tables: tree "store" (events, outbox, inbox) or "keys"."""
    if tree not in TREES:
        raise ValueError(f"unknown migration tree {tree!r}; one of {sorted(TREES)}")
    await upgrade_tree(engine, HERE / tree, TREES[tree])


async def upgrade_tree(engine: AsyncEngine, location: Path, version_table: str) -> None:
    """Migrate any Alembic tree whose env.py is `events.migrations` style (a service's own
    read models: an env.py that calls `run_env()`, beside its versions/ folder)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, location, version_table)


async def _main(tree: str, url: str) -> None:
    engine = create_async_engine(url)
    try:
        await upgrade(engine, tree)
    finally:
        await engine.dispose()


def run_env() -> None:
    """The whole of every env.py here: migrate on the connection `upgrade_tree` hands over."""
    from alembic import context

    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise SystemExit("run these migrations through events.migrate (python -m events.migrate)")
    context.configure(
        connection=connection,
        version_table=config.attributes["version_table"],
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m events.migrate store|keys DATABASE_URL")
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
