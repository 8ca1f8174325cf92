"""Fixtures for the Graph adapter: a fake Graph, the adapter, the pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from adapters.mail.graph import GraphMailbox
from tests.adapters.mail.fake_graph import FakeGraph
from tests.adapters.mail.graph_pipeline import (
    HELPDESK,
    Clock,
    FakeCredential,
    GraphPipeline,
    graph_config,
)


def mime(
    subject: str = "Printer on fire",
    sender: str = "ann@example.com",
    message_id: str = "<p1@example.com>",
    body: str = "It burns.",
    attachment: bytes | None = None,
    **headers: str,
) -> bytes:
    """Return a mail to the helpdesk as MIME."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = HELPDESK
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Wed, 02 Dec 2026 08:00:00 +0000"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="log.pdf"
        )
    return message.as_bytes()


@pytest.fixture
def clock() -> Clock:
    """Return a clock that moves only when a test moves it."""
    return Clock()


@pytest.fixture
def graph(clock: Clock) -> FakeGraph:
    """Return a fake Graph without a webhook."""
    return FakeGraph(now=clock.now)


@pytest.fixture
def waits() -> list[float]:
    """Return the list the adapter's sleeps are recorded in."""
    return []


@pytest.fixture
def mailbox(
    graph: FakeGraph, clock: Clock, waits: list[float]
) -> Iterator[GraphMailbox]:
    """Yield a GraphMailbox whose SDK client talks to the fake Graph."""

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    section = graph_config().mail.graph
    assert section is not None
    adapter = GraphMailbox(
        section,
        "https://mailroom.example.org",
        credential=FakeCredential(),  # type: ignore[arg-type]
        http=lambda: httpx.AsyncClient(transport=httpx.MockTransport(graph.handle)),
        now=clock.now,
        sleep=sleep,
        max_message_bytes=64 * 1024,
    )
    yield adapter
    adapter.close()


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[GraphPipeline]:
    """Yield the pipeline over Graph with its subscriptions made."""
    running = GraphPipeline(tmp_path)
    running.subscribe()
    yield running
    running.close()
