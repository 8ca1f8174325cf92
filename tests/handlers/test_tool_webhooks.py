"""The tool-events endpoint: authenticated, malformed and unknown requests."""

from __future__ import annotations

from handlers.tool_webhooks import accept_tool_webhook
from mailroom.errors import MalformedInputError, PermanentError
from mailroom.tool_events import ToolEvent

EVENT = ToolEvent(tool="jira", kind="comment", ticket_key="HELP-1", event_id="c-1")


def reader_raising(error: Exception):  # type: ignore[no-untyped-def]
    """Return a webhook reader that fails with `error`."""

    def read(headers: dict[str, str], body: bytes) -> list[ToolEvent]:
        raise error

    return read


def test_a_verified_webhook_queues_its_events() -> None:
    """202 and one queued event per event the reader returns."""
    answer = accept_tool_webhook("jira", {}, b"{}", lambda h, b: [EVENT])
    assert (answer.status, len(answer.enqueue)) == (202, 1)


def test_a_forged_webhook_gets_401_and_queues_nothing() -> None:
    """A failed signature check is refused."""
    answer = accept_tool_webhook(
        "jira", {}, b"{}", reader_raising(PermanentError("bad"))
    )
    assert (answer.status, answer.enqueue) == (401, [])


def test_a_signed_but_unreadable_body_gets_400() -> None:
    """Malformed content is not reported as an authentication failure."""
    reader = reader_raising(MalformedInputError("bad json"))
    answer = accept_tool_webhook("jira", {}, b"{", reader)
    assert (answer.status, answer.enqueue) == (400, [])


def test_an_unknown_tool_gets_404() -> None:
    """No reader, no tool: nothing queued."""
    assert accept_tool_webhook("nope", {}, b"{}", None).status == 404
