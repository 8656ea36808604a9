"""Structured logging: one JSON line per event, with the request's correlation id.

What must never be logged (docs/design.md, data protection): pupil names, card contents, message text,
tokens. Events carry ids, kinds and timings; `redact` is a last line of defence for keys that should
never appear at all.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

FORBIDDEN_KEYS = frozenset({"text", "card", "token", "authorization", "password", "name", "value", "body"})


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in FORBIDDEN_KEYS:
            event[key] = "[redacted]"
    return event


def configure(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    # The SDK and libraries log through stdlib logging: keep them at WARNING so request details stay out.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    # These log each statement with its parameters below WARNING (aiosqlite's "executing …", SQLAlchemy's
    # echo), so a child's note would reach the log if the root level were lowered: pinned whatever it is.
    for chatty in ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
