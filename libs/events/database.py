"""Database engines for the services: a pool that checks connections cheaply.

SQLAlchemy's `pool_pre_ping` on asyncpg costs three round trips per checkout (BEGIN; a ping;
ROLLBACK): on a single-event unit of work that is more than the work itself. The server
closing a connection (a restart, an idle timeout, `pg_terminate_backend`) is already seen by
asyncpg's transport, so a checkout asks the connection whether it is closed, at no cost, and
hands out a fresh one instead. A connection that breaks without the socket noticing fails its
statement with a disconnect error; SQLAlchemy then discards every pooled connection older than
the failure, and the services answer such a failure with a 503 or retry it (consumers).
"""

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, **options: Any) -> AsyncEngine:
    engine = create_async_engine(url, **options)
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Pool checkout hook: a DisconnectionError makes the pool replace this connection."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")
