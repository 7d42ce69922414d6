"""Runs the Alembic migrations of the event store and of the key store.

Both trees keep their own version table, so a service's own migrations (projections) can
live in the same database beside them. An advisory lock serialises concurrent starters.
Run them as the tables' owner; naming the services' runtime role grants it its rights
(events.grants).
"""

import asyncio
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from events import grants

TREES = {"store": "alembic_version_events", "keys": "alembic_version_keys"}
HERE = Path(__file__).parent / "migrations"


def alembic_config(location: Path, version_table: str, connection: Connection | None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["connection"] = connection
    cfg.attributes["version_table"] = version_table
    return cfg


def runtime_role(database_url: str, migration_url: str | None) -> str | None:
    """The role the service runs as, when it is not the migrating one: the user of its URL."""
    runtime = make_url(database_url).username
    if migration_url is None or make_url(migration_url).username == runtime:
        return None
    return runtime


def _upgrade(
    connection: Connection, location: Path, version_table: str, grant: tuple[str, str] | None
) -> None:
    lock = {"k": f"migrate:{version_table}"}
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), lock)
    command.upgrade(alembic_config(location, version_table, connection), "head")
    if grant is not None:  # (tree, role): every time, so a role named late gets its rights too
        grants.apply(connection, *grant)


async def upgrade(engine: AsyncEngine, tree: str, runtime_role: str | None = None) -> None:
    """Migrate the backbone's own tables: tree "store" (events, outbox, inbox) or "keys", and
    grant `runtime_role` (if any) what a service needs on them (events.grants)."""
    if tree not in TREES:
        raise ValueError(f"unknown migration tree {tree!r}; one of {sorted(TREES)}")
    grant = (tree, runtime_role) if runtime_role else None
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, HERE / tree, TREES[tree], grant)


async def upgrade_tree(
    engine: AsyncEngine, location: Path, version_table: str, runtime_role: str | None = None
) -> None:
    """Migrate any Alembic tree whose env.py is `events.migrations` style (a service's own
    read models beside the event store: an env.py that calls `run_env()`, beside its versions/
    folder), then grant `runtime_role` (if any) its rights on the tables it made."""
    grant = ("store", runtime_role) if runtime_role else None
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, location, version_table, grant)


async def _main(tree: str, url: str, role: str | None) -> None:
    engine = create_async_engine(url)
    try:
        await upgrade(engine, tree, role)
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
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: python -m events.migrate store|keys DATABASE_URL [RUNTIME_ROLE]")
    asyncio.run(_main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None))
