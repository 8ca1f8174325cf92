"""How every KeyValueStore adapter writes a record: one JSON object."""

from __future__ import annotations

import json
from typing import Any

from mailroom.errors import MalformedInputError, PermanentError


def encode_record(value: dict[str, Any], table: str) -> str:
    """Return a record as compact JSON; refuse what JSON cannot hold."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise PermanentError(
            f"a record for table {table!r} is not JSON ({exc}); store only JSON types"
        ) from exc


def decode_record(text: str, table: str) -> dict[str, Any]:
    """Return the JSON object stored for a record, or say it is damaged."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise MalformedInputError(
            f"a record in table {table!r} is not valid JSON; delete or fix it"
        ) from exc

    if not isinstance(value, dict):
        raise MalformedInputError(
            f"a record in table {table!r} is not a JSON object; delete or fix it"
        )
    return value
