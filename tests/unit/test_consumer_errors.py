"""Which failures the consumer runner waits out and which it dead-letters, and what it says
about them (consumer runner issue, items 3 and 11). Pure code: the exceptions are the ones
asyncpg raises, wrapped the way SQLAlchemy's asyncpg dialect wraps them."""

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from events.consumer import ConsumerRunner, error_code, is_transient, sqlstate

SYNTHETIC_NAME = "Chen Synthetic-Child"

# (asyncpg exception, SQLSTATE, transient?): an outage is waited out, a bad message is not.
SQLSTATES = [
    (asyncpg.TooManyConnectionsError, "53300", True),
    (asyncpg.CannotConnectNowError, "57P03", True),
    (asyncpg.DiskFullError, "53100", True),
    (asyncpg.OutOfMemoryError, "53200", True),
    (asyncpg.ReadOnlySQLTransactionError, "25006", True),
    (asyncpg.SerializationError, "40001", True),
    (asyncpg.DeadlockDetectedError, "40P01", True),
    (asyncpg.ConnectionFailureError, "08006", True),
    (asyncpg.ConnectionDoesNotExistError, "08003", True),
    (asyncpg.LockNotAvailableError, "55P03", True),
    (asyncpg.AdminShutdownError, "57P01", True),
    (asyncpg.CrashShutdownError, "57P02", True),
    (asyncpg.PostgresIOError, "58030", True),
    (asyncpg.UniqueViolationError, "23505", False),
    (asyncpg.InvalidTextRepresentationError, "22P02", False),
    (asyncpg.UndefinedTableError, "42P01", False),
    (asyncpg.ObjectNotInPrerequisiteStateError, "55000", False),
    (asyncpg.InFailedSQLTransactionError, "25P02", False),
    (asyncpg.TransactionIntegrityConstraintViolationError, "40002", False),
]


def through_sqlalchemy(error: Exception) -> DBAPIError:
    """What a handler's `await conn.execute(...)` raises: DBAPIError -> .orig -> __cause__."""
    orig = AsyncAdapt_asyncpg_dbapi.Error(str(error), error)
    orig.__cause__ = error
    return DBAPIError("SELECT 1", None, orig)


@pytest.mark.parametrize(("kind", "code", "transient"), SQLSTATES, ids=[s[1] for s in SQLSTATES])
def test_database_errors_are_classified_by_their_sqlstate(kind, code, transient):
    """Item 3: an outage SQLSTATE is transient (waited out, never dead-lettered), wrapped by
    SQLAlchemy or not; a data or programming error is not."""
    raw = kind(f"synthetic failure {code}")
    assert raw.sqlstate == code
    wrapped = through_sqlalchemy(raw)
    assert sqlstate(wrapped) == code
    assert is_transient(raw) is transient
    assert is_transient(wrapped) is transient


@pytest.mark.parametrize(("code", "transient"), [("53300", True), ("23505", False)])
def test_a_driver_that_only_sets_pgcode_is_classified_too(code, transient):
    """Item 3: psycopg-style errors carry `pgcode`, not `sqlstate`."""

    class PgcodeOnly(Exception):
        pgcode = code

    assert is_transient(DBAPIError("SELECT 1", None, PgcodeOnly())) is transient


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (KafkaConnectionError(), True),
        (KeyError("x"), False),
        (ValueError("x"), False),
    ],
)
def test_connection_errors_are_transient_and_handler_bugs_are_not(error, transient):
    """Item 3: connection errors without a SQLSTATE still count as an outage."""
    assert is_transient(error) is transient


def test_the_error_code_names_the_type_and_sqlstate_but_never_the_message():
    """Item 11: DLQ reasons and log lines carry this code; messages may echo decrypted data."""
    raw = asyncpg.UniqueViolationError(f"Key (name)=({SYNTHETIC_NAME}) already exists")
    assert error_code(through_sqlalchemy(raw)) == "DBAPIError:23505"
    assert error_code(KeyError(SYNTHETIC_NAME)) == "KeyError"


def test_a_runner_without_handlers_refuses_to_be_created():
    """Item 8: subscribed with no handlers, it would commit offsets past every event."""
    with pytest.raises(ValueError, match="no handlers"):
        ConsumerRunner(
            name="stub",
            topics=["careledger.intake.domain.events.v1"],
            handlers={},
            uow_factory=lambda: None,  # type: ignore[arg-type,return-value]
            consumer_factory=lambda topics: None,  # type: ignore[arg-type,return-value]
            producer_factory=lambda: None,  # type: ignore[arg-type,return-value]
            dlq_topic="careledger.dlq.stub",
        )
