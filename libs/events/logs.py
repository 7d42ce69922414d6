"""Structured (JSON) logs for every service, through structlog."""

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor


def code_only_traceback(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """An error's traceback as where it happened (files, lines, code) and the exception types,
    without the exceptions' messages: a database error repeats the values it refused, and those
    may be a child's personal data."""
    info = event.pop("exc_info", None)
    if info is True:
        info = sys.exc_info()
    if isinstance(info, BaseException):
        info = (type(info), info, info.__traceback__)
    if isinstance(info, tuple) and info[0] is not None:
        event["exception"] = "".join(_frames(info[1]))
    return event


def _frames(exc: BaseException | None) -> list[str]:
    lines: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        lines = ["Traceback (most recent call last):\n", *frames, f"{kind}\n", *lines]
        exc = exc.__cause__ or exc.__context__
    return lines


def configure_logging(level: str = "INFO", **bound: str) -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            code_only_traceback,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
    )
    structlog.contextvars.bind_contextvars(**bound)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                code_only_traceback,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
