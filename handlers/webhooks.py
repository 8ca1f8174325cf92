"""Shared reading of Graph webhook requests: the handshake and the batch."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from handlers.observe import Unit


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


@dataclass(frozen=True)
class WebhookBatch:
    """The items of a webhook POST: its objects, and how many were not objects.

    An item that is not an object cannot be read, yet was received: it
    counts in `received` and as malformed.
    """

    items: list[dict[str, Any]]
    non_objects: int = 0

    @property
    def received(self) -> int:
        """Return how many items the POST held, readable or not."""
        return len(self.items) + self.non_objects


def read_batch(body: bytes) -> WebhookBatch | None:
    """Return the items of a changeNotificationCollection, or None."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None

    if not isinstance(document, dict) or not isinstance(document.get("value"), list):
        return None
    values: list[object] = document["value"]
    items = [item for item in values if isinstance(item, dict)]
    return WebhookBatch(items=items, non_objects=len(values) - len(items))


def record_refusals(
    logger: logging.Logger, unit: Unit, prefix: str, counts: dict[str, int]
) -> None:
    """Note a batch's counts; warn of forged items, as "rejected" if all were.

    `counts` holds "received", "enqueued", "rejected" (a clientState that is
    not ours) and "malformed" (not an object, or ours but unreadable). A
    batch of forgeries only is recorded with the outcome "rejected", so the
    log shows it apart from a batch that did its work.
    """
    unit.note(**counts)
    rejected = counts["rejected"]
    if rejected and not counts["enqueued"]:
        unit.outcome = "rejected"
    if rejected:
        logger.warning(f"{prefix}.client_state_mismatch", extra={"count": rejected})
