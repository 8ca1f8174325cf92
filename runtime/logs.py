"""Configure logging once: one JSON line per record, fields as keys."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Libraries whose INFO lines name request URLs (Graph paths carry mailbox
# addresses, Table paths carry keys) or repeat what Mailroom logs itself.
NOISY = ("httpx", "httpcore", "azure", "opentelemetry", "extract_msg", "tnefparse")
# Mailroom's own packages: their INFO lines are the units of work.
PRODUCT = ("mailroom", "handlers", "adapters", "runtime")


class JsonLines(logging.Formatter):
    """Format a record as one JSON object: time, level, event, fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as a JSON line."""
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": event_of(record),
        }
        for key, value in vars(record).items():
            if key not in STANDARD:
                line[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
        return json.dumps(line, default=str)


def event_of(record: logging.LogRecord) -> str:
    """Return the record's event: Mailroom's constant name, or a library's text.

    Mailroom's own lines pass no arguments. A library's line may be a
    %-template, filled in here so it does not read "%s.%s failed: %s".
    """
    if not record.args:
        return str(record.msg)
    try:
        return record.getMessage()
    except (TypeError, ValueError):
        return str(record.msg)


def configure_logging(target: Path | TextIO, level: int = logging.INFO) -> None:
    """Send every log record of this process to `target` as JSON lines."""
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(target, encoding="utf-8")
    else:
        handler = logging.StreamHandler(target)
    handler.setFormatter(JsonLines())
    handler.setLevel(level)
    install(handler, level)


def configure_command_logging(stream: TextIO) -> None:
    """Send Mailroom's warnings and any library's errors to `stream`.

    A command run by hand reports its own failures in words; a library's
    warning about the same failure (a sign-in that could not connect)
    would only repeat it, as a JSON line, before the command's message.
    """
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.setLevel(logging.WARNING)
    handler.addFilter(without_library_warnings)
    install(handler, logging.WARNING)


def without_library_warnings(record: logging.LogRecord) -> bool:
    """Pass Mailroom's own records, and a library's only from ERROR up."""
    package = record.name.split(".", 1)[0]
    return package in PRODUCT or record.levelno >= logging.ERROR


def install(handler: logging.Handler, level: int) -> None:
    """Make `handler` the root logger's only one, at `level`."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet_libraries()


def quiet_libraries() -> None:
    """Keep the libraries' own lines below WARNING out of every handler."""
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)


def pass_product_lines() -> None:
    """Let Mailroom's INFO lines reach every handler, whatever the root level.

    The Functions worker decides the root logger's level; each handler
    still filters by its own, and a level set on purpose is kept.
    """
    for name in PRODUCT:
        product = logging.getLogger(name)
        if product.level == logging.NOTSET:
            product.setLevel(logging.INFO)
