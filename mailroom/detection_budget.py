"""How many charsets one mail may have detected, however many pieces it has.

Detecting a charset costs about 0.1 ms however short the text, and a mail
can be cut into any number of pieces that each need it: encoded words of a
header, display names, file names, text parts. Forty thousand headers of
one such word each took seven seconds. Within `limited_detection`, only the
first pieces are detected; the rest are read as UTF-8, else Windows-1252.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# Far more than a mail written by a person needs; at most about 0.1 s.
MAX_DETECTIONS = 200


@dataclass
class DetectionBudget:
    """The detections left to a mail, and how many it was refused."""

    left: int
    refused: int = 0


_BUDGET: ContextVar[DetectionBudget | None] = ContextVar("detections", default=None)


@contextmanager
def limited_detection(count: int = MAX_DETECTIONS) -> Iterator[DetectionBudget]:
    """Allow at most `count` charset detections inside the block."""
    budget = DetectionBudget(left=count)
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def take_detection() -> bool:
    """Use up one detection; False when the budget has none left."""
    budget = _BUDGET.get()
    if budget is None:
        return True
    if budget.left <= 0:
        budget.refused += 1
        return False
    budget.left -= 1
    return True
