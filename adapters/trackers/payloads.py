"""Read the JSON a tool's webhook call carries, once its sender is proven.

Each reader names its own tool and the fix in its messages; this module
decodes the body and reads loosely typed members without raising.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mailroom.errors import MalformedInputError
from mailroom.tool_events import ToolEventKind

# The event names of the relays and business rules Mailroom documents.
EVENT_KINDS: dict[str, ToolEventKind] = {
    "comment": "comment",
    "created": "created",
    "status": "status",
}


def load_object(body: bytes, not_json: str, not_object: str) -> dict[str, Any]:
    """Decode a JSON object; raise MalformedInputError with the message given."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedInputError(not_json) from exc
    if not isinstance(payload, dict):
        raise MalformedInputError(not_object)
    return payload


def mapping(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text_or_none(value: Any) -> str | None:
    """Return a non-empty string value, or None."""
    return value if isinstance(value, str) and value else None


def moment(value: Any) -> datetime | None:
    """Return an ISO 8601 time (`T` or a space between date and time), or None.

    A time without a zone is taken as UTC, which is how ServiceNow's
    `getValue` and Azure DevOps write theirs.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
