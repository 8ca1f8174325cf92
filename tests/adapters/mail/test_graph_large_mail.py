"""A mail too large for memory: streamed to blob storage, its skeleton read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import IO

import httpx
import pytest

from adapters.blobs.folder import FolderBlobs
from adapters.mail.graph import GraphMailbox
from adapters.mail.graph_intake import BlobPipe, Intake, original_name
from mailroom.config import AttachmentConfig, MailboxConfig
from mailroom.errors import PermanentError
from tests.adapters.mail.fake_graph import FakeGraph
from tests.adapters.mail.graph_pipeline import (
    HELPDESK,
    Clock,
    FakeCredential,
    GraphPipeline,
    graph_config,
)

LIMITS = AttachmentConfig(max_bytes=1_000_000, max_total_bytes=2_000_000)
MEMORY = 256 * 1024
BIG = bytes(range(256)) * 8000  # 2 MB, past LIMITS.max_bytes


def large_mail(big: bytes = BIG) -> bytes:
    """Return a mail with one file past the limit and one small file."""
    message = EmailMessage()
    message["From"] = "Iris Fenwick <iris@example.com>"
    message["To"] = HELPDESK
    message["Subject"] = "Crash dump from the build agent"
    message["Message-ID"] = "<dump-7@example.com>"
    message["Date"] = "Wed, 02 Dec 2026 09:30:00 +0000"
    message.set_content("The agent crashed at 09:12; dump and log attached.")
    message.add_attachment(big, "application", "octet-stream", filename="agent.dmp")
    message.add_attachment(b"09:12 fatal\n", "text", "plain", filename="agent.log")
    return message.as_bytes()


def mailbox_for(graph: FakeGraph, blobs: FolderBlobs | None) -> GraphMailbox:
    """Return a GraphMailbox over the fake Graph, streaming into `blobs`."""
    section = graph_config().mail.graph
    assert section is not None
    return GraphMailbox(
        section,
        "https://mailroom.example.org",
        credential=FakeCredential(),  # type: ignore[arg-type]
        http=lambda: httpx.AsyncClient(transport=httpx.MockTransport(graph.handle)),
        blobs=blobs,
        limits=LIMITS,
        memory_bytes=MEMORY,
    )


@pytest.fixture
def graph() -> FakeGraph:
    """Return a fake Graph."""
    return FakeGraph(now=Clock().now)


@pytest.fixture
def streaming(graph: FakeGraph, tmp_path: Path) -> Iterator[GraphMailbox]:
    """Yield a GraphMailbox that streams large mail into a blob folder."""
    mailbox = mailbox_for(graph, FolderBlobs(tmp_path / "blobs"))
    yield mailbox
    mailbox.close()


def test_a_large_mail_is_stored_whole_and_returned_as_a_skeleton(
    graph: FakeGraph, streaming: GraphMailbox, tmp_path: Path
) -> None:
    """One GET: the original lands in blob storage, the skeleton in memory."""
    raw = large_mail()
    item_id = graph.store.add(HELPDESK, "Inbox", raw, Clock().now())

    fetched = streaming.fetch_message(HELPDESK, item_id)

    assert fetched.original == original_name(HELPDESK, item_id)
    assert FolderBlobs(tmp_path / "blobs").get(fetched.original) == raw
    assert len(fetched.raw) < 4096
    assert fetched.left_off_token is not None
    assert len(graph.requests) == 1


def test_a_mail_under_the_memory_size_is_read_as_it_is(
    graph: FakeGraph, streaming: GraphMailbox, tmp_path: Path
) -> None:
    """Nearly all mail: no blob, no skeleton, the bytes as they came."""
    raw = large_mail(big=b"small" * 100)
    item_id = graph.store.add(HELPDESK, "Inbox", raw, Clock().now())

    fetched = streaming.fetch_message(HELPDESK, item_id)

    assert (fetched.raw, fetched.original, fetched.left_off_token) == (raw, None, None)
    assert not (tmp_path / "blobs").exists()


def test_without_blob_storage_a_large_mail_is_read_into_memory(
    graph: FakeGraph,
) -> None:
    """The CLI's mailbox (no blob store) still reads a large mail whole."""
    raw = large_mail()
    item_id = graph.store.add(HELPDESK, "Inbox", raw, Clock().now())
    mailbox = mailbox_for(graph, None)

    fetched = mailbox.fetch_message(HELPDESK, item_id)
    mailbox.close()

    assert (fetched.raw, fetched.original) == (raw, None)


class FailingBlobs(FolderBlobs):
    """A blob folder whose uploads fail after reading some of the stream."""

    def upload(self, name: str, stream: IO[bytes]) -> None:
        """Read a little, then fail as a storage outage would."""
        stream.read(100_000)
        raise PermanentError("blob storage refused the upload")


def test_a_failed_upload_fails_the_fetch_and_leaves_no_blob(
    graph: FakeGraph, tmp_path: Path
) -> None:
    """The fetch raises the storage error instead of hanging on the pipe."""
    item_id = graph.store.add(HELPDESK, "Inbox", large_mail(), Clock().now())
    mailbox = mailbox_for(graph, FailingBlobs(tmp_path / "blobs"))

    with pytest.raises(PermanentError, match="refused the upload"):
        mailbox.fetch_message(HELPDESK, item_id)
    mailbox.close()

    assert not (tmp_path / "blobs").exists()


def test_a_stream_that_breaks_leaves_no_half_written_blob(tmp_path: Path) -> None:
    """The upload is stopped with the stream's error; no file is committed."""
    blobs = FolderBlobs(tmp_path / "blobs")
    intake = Intake(blobs, "originals/x.eml", LIMITS, 10**9, 1000)

    async def broken() -> None:
        await intake.feed(large_mail()[:300_000])
        await intake.abort(httpx.ReadError("connection reset"))

    asyncio.run(broken())

    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == []


def test_the_pipe_yields_the_chunks_in_order_then_ends() -> None:
    """What goes in one side comes out the other, then an empty read."""
    pipe = BlobPipe()
    for chunk in (b"abc", b"", b"defg", None):
        pipe.put(chunk, timeout=1)

    assert pipe.read(5) == b"abc"
    assert pipe.read(100) == b"defg"
    assert pipe.read(100) == b""


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[GraphPipeline]:
    """Yield the Graph pipeline with small limits and a small memory size."""
    watched = [MailboxConfig(address=HELPDESK, folders=["Inbox"])]
    config = graph_config().model_copy(
        update={"mailboxes": watched, "attachments": LIMITS}
    )
    running = GraphPipeline(tmp_path, config, memory_bytes=MEMORY)
    running.subscribe()
    yield running
    running.close()


def test_a_large_mail_becomes_a_ticket_with_what_fits(pipeline: GraphPipeline) -> None:
    """The small file reaches the ticket; the large one is reported, kept."""
    raw = large_mail()

    item_id = pipeline.deliver(raw)

    [ticket] = pipeline.tracker.tickets.values()
    assert list(ticket.files) == ["agent.log"]
    [record] = pipeline.ledger.mails()
    assert record.original == original_name(HELPDESK, item_id)
    assert pipeline.blobs.get(record.original) == raw
    assert not pipeline.blobs.exists(f"raw/{record.key}.eml")
    [problem] = record.problems
    assert problem.value == f"agent.dmp ({len(BIG)} bytes)"
    assert pipeline.poison == []


def test_a_large_mail_notified_twice_is_one_ticket(pipeline: GraphPipeline) -> None:
    """A second copy of the same large mail is a duplicate, not a ticket."""
    raw = large_mail()

    pipeline.deliver(raw)
    pipeline.deliver(raw)

    assert len(pipeline.tracker.tickets) == 1
    assert [r.status for r in pipeline.ledger.mails()] == ["routed"]


def test_a_mail_over_the_exchange_maximum_is_quarantined(tmp_path: Path) -> None:
    """Past max_message_bytes the fetch stops, and the change is set aside."""
    running = GraphPipeline(tmp_path, memory_bytes=MEMORY, max_message_bytes=500_000)
    running.subscribe()

    running.deliver(large_mail())
    running.close()

    assert len(running.poison) == 1
    assert running.tracker.tickets == {}
    assert [p for p in (tmp_path / "blobs").rglob("*.eml")] == []


def test_a_large_mail_without_message_id_is_still_known_again(
    pipeline: GraphPipeline,
) -> None:
    """The skeleton's random token does not change the mail's identity."""
    raw = large_mail().replace(b"Message-ID: <dump-7@example.com>\n", b"")
    assert b"Message-ID" not in raw

    pipeline.deliver(raw)
    pipeline.deliver(raw)

    assert len(pipeline.tracker.tickets) == 1
    assert len(pipeline.ledger.mails()) == 1
