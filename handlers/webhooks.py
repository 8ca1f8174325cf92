"""Shared reading of Graph webhook requests: the handshake and the batch."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HttpAnswer:
    """What an HTTP handler answers, and what it leaves on a queue."""

    status: int
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"
    enqueue: list[str] = field(default_factory=list)


def validation_answer(params: dict[str, str]) -> HttpAnswer | None:
    """Echo Graph's validationToken exactly, or return None if absent.

    The query string is already decoded (`+` and `%20` are spaces); the
    token is human-readable text and is returned as it came, as text/plain.
    """
    token = params.get("validationToken")
    if token is None:
        return None
    return HttpAnswer(status=200, body=token)


def read_batch(body: bytes) -> list[dict[str, Any]] | None:
    """Return the notifications of a changeNotificationCollection, or None."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None

    if not isinstance(document, dict) or not isinstance(document.get("value"), list):
        return None
    return [item for item in document["value"] if isinstance(item, dict)]
