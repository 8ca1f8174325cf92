"""Regular expressions from configuration: checked once, never fatal later."""

from __future__ import annotations

import re


def regex_error(pattern: str | None) -> str | None:
    """Return why a pattern does not compile, or None when it does."""
    if pattern is None:
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def search_ignoring_case(pattern: str, text: str, flags: int = 0) -> bool:
    """Search `text`; a bad pattern never matches (start-up reports it)."""
    try:
        return re.search(pattern, text, re.IGNORECASE | flags) is not None
    except re.error:
        return False
