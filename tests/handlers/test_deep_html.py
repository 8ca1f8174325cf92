"""HTML nested past what the parser takes: the ticket still gets all of it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.pipeline import Pipeline


def html_mail(html: str) -> bytes:
    """Return an HTML-only mail from Ada with the given body."""
    head = (
        "From: Ada Lindqvist <ada@example.com>\r\n"
        "To: helpdesk@example.org\r\n"
        "Subject: Badge reader at gate B refuses cards\r\n"
        "Message-ID: <deep.html@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
    )
    return (head + html).encode()


@pytest.mark.parametrize("depth", [300, 3000])
def test_deep_html_keeps_the_description_and_fields(
    tmp_path: Path, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    """The ticket gets every line and the typed field; the log counts a defect."""
    p = Pipeline(tmp_path)
    with caplog.at_level(logging.INFO):
        p.deliver(html_mail("<div>" * depth + "Hello there<p>Priority: High</p>"))

    [ticket] = p.tracker.tickets.values()
    lines = [line.strip() for line in ticket.draft.description.splitlines()]
    assert [line for line in lines if line] == ["Hello there", "Priority: High"]
    assert ticket.draft.fields["priority"] == "High"
    key = ticket.draft.correlation_id
    ingests = [r for r in caplog.records if r.getMessage() == "ingest.change"]
    [ingest] = [r for r in ingests if getattr(r, "mail_key", None) == key]
    assert getattr(ingest, "defects", None) == 1
