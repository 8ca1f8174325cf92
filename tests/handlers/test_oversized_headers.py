"""Oversized Subject and References stay out of what Mailroom writes."""

from __future__ import annotations

from pathlib import Path

from mailroom.bounds import SUBJECT_LIMIT
from mailroom.tickets import SUMMARY_LIMIT
from tests.pipeline import Pipeline

IDS = [f"<r{n}@mail.example.com>" for n in range(50_000)]
SUBJECT = "Backup of the file server failed again " * 6_700


def request() -> bytes:
    """Return a request with 50,000 References and a 260 KB Subject."""
    head = [
        b"From: Ivy <ivy@example.com>",
        b"To: helpdesk@example.org",
        b"Subject: " + SUBJECT.strip().encode(),
        b"Message-ID: <backup.failed@example.com>",
        b"References: " + "\r\n ".join(IDS).encode(),
    ]
    return b"\r\n".join(head) + b"\r\n\r\nThe nightly backup stopped.\r\n"


def test_the_acknowledgement_carries_bounded_headers(tmp_path: Path) -> None:
    """References keep the first id and the newest; the Subject is cut."""
    p = Pipeline(tmp_path)
    p.deliver(request())

    [ack] = p.sent()
    references = str(ack["References"]).split()
    assert len(references) == 21
    assert references[0] == IDS[0]
    assert references[-2:] == [IDS[-1], "<backup.failed@example.com>"]
    assert str(ack["In-Reply-To"]) == "<backup.failed@example.com>"
    subject = str(ack["Subject"])
    assert len(subject) <= SUBJECT_LIMIT
    assert subject.startswith("[HELP-1] Backup of the file server failed again")
    assert subject.endswith("\u2026")


def test_the_ticket_summary_is_cut_and_the_subject_kept(tmp_path: Path) -> None:
    """The summary ends on a word; the description opens with the subject."""
    p = Pipeline(tmp_path)
    p.deliver(request())

    [ticket] = p.tracker.tickets.values()
    summary = ticket.draft.summary
    assert len(summary) <= SUMMARY_LIMIT
    assert summary.endswith("again Backup of the file\u2026")
    assert ticket.draft.description == (
        f"Subject: {SUBJECT.strip()}\n\nThe nightly backup stopped."
    )
