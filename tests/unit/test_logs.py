"""An error's log record says where it happened, never what values it was given: a database
error's message repeats the values it refused, and those may be a child's personal data."""

import json
import logging

from events.logs import configure_logging
from tests.synthetic import fake_child


def _fail_with(secret: str) -> None:
    try:
        raise KeyError(secret)
    except KeyError as exc:
        raise ValueError(f"could not store {secret}") from exc


def test_a_logged_error_carries_its_traceback_without_the_exceptions_messages(capsys):
    import random

    child = fake_child(random.Random(7))
    configure_logging("INFO", service="test")
    try:
        _fail_with(child.resident_id)
    except ValueError as exc:
        logging.getLogger("careledger.test").error("unhandled error on POST /x", exc_info=exc)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    trace = record["exception"]
    assert "traceback object" not in line
    assert "_fail_with" in trace and "test_logs.py" in trace
    assert "builtins.ValueError" in trace and "builtins.KeyError" in trace
    assert child.resident_id not in line
