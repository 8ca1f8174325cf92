"""The tool-events endpoint: authenticate a tool's webhook, enqueue, 202."""

from __future__ import annotations

import logging
from collections.abc import Callable

from handlers.observe import unit_of_work
from handlers.webhooks import HttpAnswer
from mailroom.errors import MalformedInputError, PermanentError
from mailroom.tool_events import ToolEvent

logger = logging.getLogger(__name__)

WebhookReader = Callable[[dict[str, str], bytes], list[ToolEvent]]


def accept_tool_webhook(
    tool: str, headers: dict[str, str], body: bytes, reader: WebhookReader | None
) -> HttpAnswer:
    """Check a tool's webhook with its reader and queue the events it carries.

    The reader verifies the tool's signature or credentials; a request that
    fails the check is refused with 401 and nothing is queued.
    """
    with unit_of_work(logger, "tool_events.webhook", tool=tool) as unit:
        if reader is None:
            unit.outcome = "unknown-tool"
            return HttpAnswer(status=404, body="no tool with webhooks by that name")
        try:
            events = reader(headers, body)
        except MalformedInputError as exc:
            unit.outcome = "malformed"
            unit.note(error=type(exc).__name__)
            return HttpAnswer(status=400, body="the event could not be read")
        except PermanentError as exc:
            unit.outcome = "refused"
            unit.note(error=type(exc).__name__)
            return HttpAnswer(status=401, body="the request failed authentication")

        unit.note(events=len(events))
        return HttpAnswer(
            status=202, enqueue=[event.model_dump_json() for event in events]
        )
