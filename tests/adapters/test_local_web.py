"""The local tracker's web pages."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from adapters.trackers.local import LocalTracker
from adapters.trackers.local_web import (
    body_html,
    handle_tracker_request,
    render_ticket,
)
from mailroom.models import Address, Attachment, CommentDraft, TicketDraft

BASE = "http://127.0.0.1:7071"
PNG = b"\x89PNG\r\n\x1a\n fake image"
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def tracker(tmp_path: Path) -> LocalTracker:
    """Return an empty tracker."""
    return LocalTracker(tmp_path / "tracker.db", tmp_path / "files", BASE)


def open_ticket(tracker: LocalTracker, summary: str = "Printer") -> str:
    """Open a ticket whose body holds a script tag and a link."""
    draft = TicketDraft(
        correlation_id=summary,
        summary=summary,
        description=f"Body {HOSTILE} see https://example.org/a?b=1&c=2.",
        requester=Address(email="ann@example.org", name="Ann"),
        fields={"severity": "High"},
    )
    return tracker.create_ticket(draft).key


def attach_png(tracker: LocalTracker, key: str, name: str, inline: bool) -> None:
    """Attach a small PNG to a ticket."""
    meta = Attachment(
        filename=name,
        content_type="image/png",
        size=len(PNG),
        sha256=hashlib.sha256(PNG).hexdigest(),
        inline=inline,
    )
    tracker.attach(key, meta, PNG)


def test_hostile_summary_is_shown_as_text(tracker: LocalTracker) -> None:
    """A <script> in a summary or body is escaped, never run."""
    key = open_ticket(tracker, summary=HOSTILE)
    status, content_type, body = handle_tracker_request(tracker, f"/tracker/{key}")

    page = body.decode()
    assert status == 200 and content_type.startswith("text/html")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_ticket_page_shows_thread_fields_and_files(tracker: LocalTracker) -> None:
    """The page lists the thread in order, the fields, files and inline images."""
    key = open_ticket(tracker)
    reply = CommentDraft(correlation_id="r", body="Sent a fix.", outgoing=True)
    tracker.add_comment(key, reply)
    attach_png(tracker, key, "shot.png", inline=True)

    view = tracker.get_ticket(key)
    assert view is not None
    page = render_ticket(view)
    assert page.index("Body") < page.index("Sent a fix.")
    assert "severity" in page and "outgoing" in page
    assert f'<img class="inline" src="{BASE}/tracker/{key}/files/shot.png"' in page


def test_links_in_bodies_are_clickable_and_clean() -> None:
    """Web links in text become anchors; nothing else becomes markup."""
    html = body_html('go to https://example.org/x?a=1&b=2. <b onclick="x">')
    assert '<a href="https://example.org/x?a=1&amp;b=2" rel=' in html
    assert "&lt;b onclick=" in html


def test_list_page_links_every_ticket(tracker: LocalTracker) -> None:
    """The list shows each ticket with a link to its page."""
    key = open_ticket(tracker)
    status, _, body = handle_tracker_request(tracker, "/tracker/")

    assert status == 200
    assert f'href="{BASE}/tracker/{key}"' in body.decode()


def test_download_serves_the_bytes(tracker: LocalTracker) -> None:
    """A file link returns the attachment's bytes with a safe type."""
    key = open_ticket(tracker)
    attach_png(tracker, key, "shot one.png", inline=False)

    path = f"/tracker/{key}/files/shot%20one.png"
    assert handle_tracker_request(tracker, path) == (200, "image/png", PNG)


@pytest.mark.parametrize(
    "path",
    [
        "/tracker/HELP-404",
        "/tracker/HELP-1/files/..%2F..%2Ftracker.db",
        "/tracker/HELP-1/files/../../tracker.db",
        "/tracker/HELP-1/files/%2e%2e",
        "/tracker/HELP-1/nothing",
        "/elsewhere",
    ],
)
def test_unknown_paths_are_404(tracker: LocalTracker, path: str) -> None:
    """Unknown keys, traversal attempts and other paths get the 404 page."""
    open_ticket(tracker)
    status, content_type, body = handle_tracker_request(tracker, path)

    assert (status, content_type) == (404, "text/html; charset=utf-8")
    assert b"Not found" in body
