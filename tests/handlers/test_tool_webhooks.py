"""The tool-events endpoint: authenticated, malformed and unknown requests."""

from __future__ import annotations

from pathlib import Path

from adapters.blobs.folder import FolderBlobs
from handlers.tool_webhooks import accept_tool_webhook
from mailroom.errors import MalformedInputError, PermanentError, RetryableError
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


def test_a_reader_s_validation_error_is_malformed_not_a_crash() -> None:
    """A signed event whose values do not fit the model gets 400."""
    answer = accept_tool_webhook("jira", {}, b"{}", reader_raising(ValueError("x")))
    assert (answer.status, answer.enqueue) == (400, [])


def test_an_event_too_large_to_queue_without_blob_storage_gets_413() -> None:
    """Nothing queued that the queue would refuse later with a 500."""
    big = EVENT.model_copy(update={"body": "日" * 25_000})
    answer = accept_tool_webhook("jira", {}, b"{}", lambda h, b: [big])
    assert (answer.status, answer.enqueue) == (413, [])


class ThrottledBlobs(FolderBlobs):
    """A blob store that refuses every write for now."""

    def put(self, name: str, data: bytes) -> None:
        """Fail as a throttled storage account does."""
        raise RetryableError("blob storage is throttling")


def test_a_blob_store_that_fails_gets_503_so_the_tool_retries(
    tmp_path: Path,
) -> None:
    """Storage trouble is not the tool's fault and not a refusal."""
    big = EVENT.model_copy(update={"body": "x" * 100_000})
    blobs = ThrottledBlobs(tmp_path)
    answer = accept_tool_webhook("jira", {}, b"{}", lambda h, b: [big], lambda: blobs)
    assert (answer.status, answer.enqueue) == (503, [])
