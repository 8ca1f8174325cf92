"""Tags, markers and notes by which Mailroom finds its own work in a tool.

A ticket carries the tag `mailroom-<correlation id>`, a comment ends with
the marker `mailroom-comment:<correlation id>`, and an internal note opens
with "Internal note:" where the tool has no internal comments. A
correlation id a tool cannot hold in a tag is replaced by its hash.
"""

from __future__ import annotations

import hashlib
import html
import re

from mailroom.models import Address

TAG_PREFIX = "mailroom-"
MARKER_PREFIX = "mailroom-comment:"
INTERNAL_NOTE = "Internal note:"


def fitted_id(correlation_id: str, allowed: re.Pattern[str]) -> str:
    """Return a correlation id if `allowed` matches it whole, else its hash."""
    if allowed.fullmatch(correlation_id):
        return correlation_id
    return "h-" + _digest(correlation_id)


def event_note(event: str, detail: dict[str, str]) -> tuple[str, str]:
    """Return (correlation id, text) of the note that records an event."""
    lines = [f"Mailroom event: {event}"]
    lines += [f"{name}: {value}" for name, value in sorted(detail.items())]
    text = "\n".join(lines)
    return "event-" + _digest(text), text


def address_html(address: Address) -> str:
    """Return `Name <mail>` escaped for HTML."""
    shown = f"{address.name} <{address.email}>" if address.name else address.email
    return html.escape(shown)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]
