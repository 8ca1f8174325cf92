"""A long comment from a tool reaches the requester whole, never a 500."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.trackers.jira import read_webhook
from handlers.tool_events import handle_tool_event
from handlers.tool_webhooks import QUEUE_MESSAGE_BYTES, accept_tool_webhook
from mailroom.tool_events import ToolEvent
from tests.adapters.trackers.fake_jira import section, sign
from tests.adapters.trackers.test_jira_webhooks import adf, commented
from tests.handlers.test_tool_events import pipeline


@pytest.mark.parametrize(
    "text", ["日" * 25_000, "a" * 100_000, "日" * 100], ids=["cjk", "ascii", "short"]
)
def test_a_signed_jira_comment_is_queued_and_mailed_whole(
    tmp_path: Path, text: str
) -> None:
    """202, a queue message within Azure's bound, the whole text in the mail."""
    p = pipeline(tmp_path)
    body = json.dumps(commented(adf(text))).encode()

    def reader(headers: dict[str, str], raw: bytes) -> list[ToolEvent]:
        return read_webhook(section(), "local", headers, raw)

    answer = accept_tool_webhook(
        "local", sign(body), body, reader, lambda: p.services.blobs
    )
    assert answer.status == 202
    [message] = answer.enqueue
    assert len(message.encode()) <= QUEUE_MESSAGE_BYTES

    handle_tool_event(ToolEvent.model_validate_json(message), p.services)
    [reply] = [
        m for m in p.sent() if "HELP-1" in m["Subject"] and "RE:" in m["Subject"]
    ]
    assert reply.get_content().startswith(text + "\n")
