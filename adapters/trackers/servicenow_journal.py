"""Mailroom's marks in ServiceNow journals, and values safe in encoded queries.

ServiceNow journal entries (comments, work notes) carry no tags, so every
entry Mailroom writes ends with a line `[mailroom:<correlation id>]`. The
line makes a retried comment findable (sys_journal_field, value LIKE the
mark) and lets the outbound business rule's events be told apart from
people's comments.
"""

from __future__ import annotations

import re

MARK = re.compile(r"\[mailroom:[^\]\s]+\]")
_UNSAFE = re.compile(r"[\^\r\n]|javascript:", re.IGNORECASE)


def mark(correlation_id: str) -> str:
    """Return the line that marks an entry as written for `correlation_id`."""
    return f"[mailroom:{correlation_id}]"


def marked(text: str, correlation_id: str) -> str:
    """Return `text` with its mark as the last line."""
    return f"{text.rstrip()}\n\n{mark(correlation_id)}"


def carries_mark(text: str) -> bool:
    """Tell whether a journal entry was written by Mailroom."""
    return MARK.search(text) is not None


def queryable(value: str) -> bool:
    """Tell whether `value` can stand in an encoded query as a plain value.

    A caret would start another condition and `javascript:` would be run
    by the instance, so values holding either are never put in a query.
    """
    return bool(value) and _UNSAFE.search(value) is None
