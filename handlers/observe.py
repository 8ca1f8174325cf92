"""One structured log line per unit of work: ids, outcome, duration."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Unit:
    """The fields of one unit of work, filled in while it runs."""

    def __init__(self, **fields: Any) -> None:
        self.fields: dict[str, Any] = dict(fields)
        self.outcome = "ok"

    def note(self, **fields: Any) -> None:
        """Add ids or counts to the unit's log line."""
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
        logger.info(
            event,
            extra={"outcome": unit.outcome, "duration_ms": duration_ms, **unit.fields},
        )
