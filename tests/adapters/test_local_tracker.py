"""The local tracker: tickets in SQLite, idempotent writes, read views."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from adapters.trackers.local import LocalTracker
from mailroom.errors import BlobNotFoundError, ConfigurationError, PermanentError
from mailroom.models import Address, Attachment, CommentDraft, TicketDraft

BASE = "http://127.0.0.1:7071"
PNG = b"\x89PNG\r\n\x1a\n fake image"


def draft(correlation_id: str = "mail-1", summary: str = "Printer") -> TicketDraft:
    """Return a ticket draft."""
    return TicketDraft(
        correlation_id=correlation_id,
        summary=summary,
        description="It jams.",
        requester=Address(email="ann@example.org", name="Ann"),
        fields={"severity": "High"},
    )


def attachment(name: str, data: bytes = PNG, inline: bool = False) -> Attachment:
    """Describe `data` as a PNG attachment."""
    digest = hashlib.sha256(data).hexdigest()
    return Attachment(
        filename=name,
        content_type="image/png",
        size=len(data),
        sha256=digest,
        inline=inline,
    )


@pytest.fixture
def tracker(tmp_path: Path) -> LocalTracker:
    """Return an empty tracker."""
    return LocalTracker(tmp_path / "tracker.db", tmp_path / "files", BASE + "/")


def test_create_returns_a_keyed_ticket_with_its_url(tracker: LocalTracker) -> None:
    """Tickets are numbered per project and have a URL under /tracker."""
    first = tracker.create_ticket(draft("mail-1"))
    second = tracker.create_ticket(draft("mail-2"))

    assert (first.key, second.key) == ("HELP-1", "HELP-2")
    assert first.url == f"{BASE}/tracker/HELP-1"
    assert tracker.find_by_correlation("mail-2") == second


def test_create_is_idempotent_by_correlation_id_under_a_race(
    tmp_path: Path,
) -> None:
    """Many threads, two instances, one correlation id: one ticket."""
    trackers = [LocalTracker(tmp_path / "t.db", tmp_path / "f", BASE) for _ in "ab"]
    keys: list[str] = []
    barrier = threading.Barrier(12)

    def create(n: int) -> None:
        barrier.wait()
        keys.append(trackers[n % 2].create_ticket(draft("mail-1")).key)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(keys) == {"HELP-1"} and len(keys) == 12
    assert len(trackers[0].list_tickets()) == 1


def test_comments_are_added_once_per_correlation_id(tracker: LocalTracker) -> None:
    """A comment retried with the same correlation id is stored once."""
    key = tracker.create_ticket(draft()).key
    comment = CommentDraft(correlation_id="reply-1", body="Still jams.")
    tracker.add_comment(key, comment)
    tracker.add_comment(key, comment)

    view = tracker.get_ticket(key)
    assert view is not None and [c.body for c in view.comments] == ["Still jams."]


def test_attachments_are_deduplicated_by_hash_and_name(
    tracker: LocalTracker,
) -> None:
    """Same bytes and name: no-op; same name, other bytes: a second file."""
    key = tracker.create_ticket(draft()).key
    tracker.attach(key, attachment("shot.png"), PNG)
    tracker.attach(key, attachment("shot.png"), PNG)
    tracker.attach(key, attachment("shot.png", PNG + b"2"), PNG + b"2")

    view = tracker.get_ticket(key)
    assert view is not None
    assert [a.filename for a in view.attachments] == ["shot.png", "shot (2).png"]
    assert tracker.attachment_bytes(key, "shot (2).png") == PNG + b"2"


def test_attachment_names_lose_their_directories(tracker: LocalTracker) -> None:
    """A name with path parts is stored by its last part."""
    key = tracker.create_ticket(draft()).key
    tracker.attach(key, attachment("..\\..\\evil/../.passwd"), PNG)

    view = tracker.get_ticket(key)
    assert view is not None and view.attachments[0].filename == "passwd"


def test_attach_refuses_bytes_that_do_not_match_the_hash(
    tracker: LocalTracker,
) -> None:
    """The stored bytes must be the ones the description was made from."""
    key = tracker.create_ticket(draft()).key
    with pytest.raises(PermanentError, match="sha256"):
        tracker.attach(key, attachment("a.png"), b"other bytes")


def test_writes_to_an_unknown_ticket_fail(tracker: LocalTracker) -> None:
    """Comments, files, links and events need an existing ticket."""
    with pytest.raises(PermanentError, match="HELP-9"):
        tracker.add_comment("HELP-9", CommentDraft(correlation_id="c", body="x"))
    with pytest.raises(PermanentError, match="HELP-9"):
        tracker.record_event("HELP-9", "opened", {})


def test_get_ticket_shows_links_from_both_ends_and_events(
    tracker: LocalTracker,
) -> None:
    """A link shows on both tickets; events keep their detail."""
    old = tracker.create_ticket(draft("mail-1")).key
    new = tracker.create_ticket(draft("mail-2")).key
    tracker.link(new, old, "relates to")
    tracker.link(new, old, "relates to")
    tracker.record_event(new, "opened", {"machine": "false"})

    new_view, old_view = tracker.get_ticket(new), tracker.get_ticket(old)
    assert new_view is not None and old_view is not None
    assert [(v.other_key, v.inward) for v in new_view.links] == [(old, False)]
    assert [(v.other_key, v.inward) for v in old_view.links] == [(new, True)]
    assert new_view.events[0].detail == {"machine": "false"}


def test_list_and_get_views(tracker: LocalTracker) -> None:
    """Views carry the fields, requester and comment direction."""
    key = tracker.create_ticket(draft()).key
    tracker.add_comment(
        key, CommentDraft(correlation_id="n", body="call back", public=False)
    )

    [view] = tracker.list_tickets()
    assert view.fields == {"severity": "High"} and view.status == "open"
    assert view.requester == Address(email="ann@example.org", name="Ann")
    assert view.comments[0].direction == "internal note"
    assert tracker.get_ticket("HELP-404") is None


def test_unknown_attachment_is_blob_not_found(tracker: LocalTracker) -> None:
    """Asking for a file the ticket does not have raises BlobNotFoundError."""
    key = tracker.create_ticket(draft()).key
    with pytest.raises(BlobNotFoundError):
        tracker.attachment_bytes(key, "../tracker.db")


def test_bad_project_is_a_configuration_error(tmp_path: Path) -> None:
    """A project that cannot prefix a key is refused at start-up."""
    with pytest.raises(ConfigurationError, match="help desk"):
        LocalTracker(tmp_path / "t.db", tmp_path, BASE, project="help desk")


def test_a_comment_keeps_the_full_original_beside_its_new_text(
    tmp_path: Path,
) -> None:
    """The cut reply text is the comment; the whole mail stays with it."""
    tracker = LocalTracker(tmp_path / "t.sqlite3", tmp_path / "files", "http://x")
    key = tracker.create_ticket(
        TicketDraft(correlation_id="c1", summary="Printer", description="d")
    ).key
    comment = CommentDraft(
        correlation_id="c2", body="Fixed.", full_text="Fixed.\n> old"
    )
    tracker.add_comment(key, comment)
    view = tracker.get_ticket(key)
    assert view is not None
    assert (view.comments[0].body, view.comments[0].full_text) == (
        "Fixed.",
        "Fixed.\n> old",
    )
