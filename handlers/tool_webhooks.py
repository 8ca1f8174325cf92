"""The tool-events endpoint: authenticate a tool's webhook, enqueue, 202.

A queue message holds at most 64 KB once Base64-encoded, as Azure Storage
queues carry it. An event larger than that leaves its body in blob storage
and travels with the blob's name; the worker reads the body back, so a
long comment reaches the requester whole.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from handlers.observe import unit_of_work
from handlers.webhooks import HttpAnswer
from mailroom.errors import MailroomError, MalformedInputError, PermanentError
from mailroom.ports import BlobStore
from mailroom.tool_events import ToolEvent

logger = logging.getLogger(__name__)

WebhookReader = Callable[[dict[str, str], bytes], list[ToolEvent]]

# 64 KB of Base64 carries 48 KB of text.
QUEUE_MESSAGE_BYTES = 48 * 1024


def accept_tool_webhook(
    tool: str,
    headers: dict[str, str],
    body: bytes,
    reader: WebhookReader | None,
    blobs: Callable[[], BlobStore] | None = None,
) -> HttpAnswer:
    """Check a tool's webhook with its reader and queue the events it carries.

    The reader verifies the tool's signature or credentials; a request that
    fails the check is refused with 401 and nothing is queued. Bodies too
    large for a queue message go to the store `blobs` returns, asked for
    only then, so that the common small event touches no storage; an event
    that still does not
    fit is refused with 413, and one that blob storage cannot take now with
    503, so that the tool sends it again.
    """
    with unit_of_work(logger, "tool_events.webhook", tool=tool) as unit:
        if reader is None:
            unit.outcome = "unknown-tool"
            return HttpAnswer(status=404, body="no tool with webhooks by that name")
        try:
            events = reader(headers, body)
        except (MalformedInputError, ValueError) as exc:
            unit.outcome = "malformed"
            unit.note(error=type(exc).__name__)
            return HttpAnswer(status=400, body="the event could not be read")
        except PermanentError as exc:
            unit.outcome = "refused"
            unit.note(error=type(exc).__name__)
            return HttpAnswer(status=401, body="the request failed authentication")

        unit.note(events=len(events))
        try:
            messages = [queue_message(event, blobs) for event in events]
        except MailroomError as exc:
            # Storage, not the tool, failed: 503 has the tool send it again.
            unit.outcome = "blob-unavailable"
            unit.note(error=type(exc).__name__)
            return HttpAnswer(status=503, body="the event could not be stored yet")
        if None in messages:
            unit.outcome = "too-large"
            unit.note(reason="event-exceeds-queue-message")
            return HttpAnswer(status=413, body="an event is too large to queue")
        return HttpAnswer(status=202, enqueue=[m for m in messages if m])


def queue_message(
    event: ToolEvent, blobs: Callable[[], BlobStore] | None
) -> str | None:
    """Return the queue message of an event, its body moved to a blob if need be.

    None when the event does not fit a queue message even without its body.
    """
    message = event.model_dump_json()
    if fits_queue(message):
        return message
    if blobs is None or not event.body:
        return None

    name = body_blob_name(event)
    blobs().put(name, event.body.encode("utf-8"))
    moved = event.model_copy(update={"body": "", "body_blob": name})
    message = moved.model_dump_json()
    return message if fits_queue(message) else None


def fits_queue(message: str) -> bool:
    """Tell whether a message fits an Azure Storage queue once Base64-encoded."""
    return len(message.encode("utf-8")) <= QUEUE_MESSAGE_BYTES


def body_blob_name(event: ToolEvent) -> str:
    """Return the blob of an event's body: the same for every try of the event."""
    digest = hashlib.sha256(f"{event.tool}|{event.event_id}".encode()).hexdigest()
    return f"tool-events/{digest[:32]}.txt"
