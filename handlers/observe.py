"""One structured log line per unit of work: ids, outcome, duration.

Each line carries the invocation id of the Functions call it ran in, which
function_app.py hands over with `invocation(context)`. A mailbox appears
only as a short hash of its address: lines about one mailbox can be found
without the address itself ever reaching a log.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

_invocation_id: ContextVar[str | None] = ContextVar("invocation_id", default=None)


class InvocationContext(Protocol):
    """The part of a Functions context (`func.Context`) the log lines use."""

    @property
    def invocation_id(self) -> str:
        """Return the id the Functions host gave this call."""
        ...


@contextmanager
def invocation(context: InvocationContext) -> Iterator[str]:
    """Stamp every unit of work in the block with the call's invocation id."""
    token = _invocation_id.set(context.invocation_id)
    try:
        yield context.invocation_id
    finally:
        _invocation_id.reset(token)


def current_invocation() -> str | None:
    """Return the invocation id of the running call, if there is one."""
    return _invocation_id.get()


def mailbox_hash(address: str) -> str:
    """Return the first 12 hex digits of the SHA-256 of an address, lower-cased."""
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:12]


class Unit:
    """The fields of one unit of work, filled in while it runs."""

    def __init__(self, **fields: Any) -> None:
        self.fields: dict[str, Any] = {}
        self.outcome = "ok"
        self.note(**fields)

    def note(self, **fields: Any) -> None:
        """Add ids or counts to the unit's log line; a mailbox as its hash."""
        address = fields.pop("mailbox", None)
        if address is not None:
            fields["mailbox_hash"] = mailbox_hash(str(address))
        self.fields.update(fields)


@contextmanager
def unit_of_work(
    logger: logging.Logger, event: str, /, **fields: Any
) -> Iterator[Unit]:
    """Log `event` once when the block ends, with its outcome and duration."""
    unit = Unit(**fields)
    started = time.perf_counter()
    try:
        yield unit
    except Exception as exc:
        unit.outcome = "error"
        unit.note(error=type(exc).__name__)
        raise
    finally:
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        line: dict[str, Any] = {
            "outcome": unit.outcome,
            "duration_ms": duration_ms,
            "invocation_id": current_invocation(),
        }
        logger.info(event, extra={**line, **unit.fields})
