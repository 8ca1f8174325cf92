"""The contract every tracker adapter passes: adding a tool means passing it.

A tool's test module builds a `TrackerUnderTest` (the adapter, wired to a
fake of the tool's REST API, and a probe that reads the fake's state) and
runs `CONTRACT` over it with `run_contract`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mailroom.models import (
    Address,
    Attachment,
    CommentDraft,
    NormalizedMail,
    TicketDraft,
)
from mailroom.ports import Tracker
from mailroom.tickets import draft_ticket


class Probe(Protocol):
    """Read what the fake tool holds, as a person would in its UI."""

    def summary(self, key: str) -> str:
        """Return a ticket's summary."""
        ...

    def comments(self, key: str) -> list[tuple[str, bool]]:
        """Return (text, public) for each comment of a ticket, oldest first."""
        ...

    def files(self, key: str) -> list[tuple[str, bytes]]:
        """Return (name, bytes) for each file of a ticket."""
        ...

    def links(self, key: str) -> list[str]:
        """Return the keys a ticket is linked to."""
        ...

    def field(self, key: str, name: str) -> str | None:
        """Return a mapped field's value as the tool stores it."""
        ...


@dataclass
class TrackerUnderTest:
    """An adapter, the probe of its fake tool, and the tool's field names."""

    tracker: Tracker
    probe: Probe
    mapped_field: str
    mapped_value: str
    # The longest summary the tool takes, in characters.
    summary_limit: int = 255


LONG_SUBJECT = "Scanner in room 12 is offline again " * 8_000
REQUESTER = Address(email="ada.lindqvist@example.com", name="Ada Lindqvist")


def draft(correlation_id: str = "m-1", **fields: str) -> TicketDraft:
    """Return a ticket draft with one mapped field by default."""
    return TicketDraft(
        correlation_id=correlation_id,
        summary="Scanner in room 12 is offline",
        description="The scanner in room 12 stopped answering at 09:10.",
        requester=REQUESTER,
        fields=fields,
    )


def attachment(name: str, data: bytes) -> Attachment:
    """Describe a file for `attach`."""
    digest = hashlib.sha256(data).hexdigest()
    return Attachment(
        filename=name, content_type="text/plain", size=len(data), sha256=digest
    )


def creates_a_ticket_with_mapped_fields(t: TrackerUnderTest) -> None:
    """A ticket opens with its summary and a mapped field."""
    ref = t.tracker.create_ticket(draft(**{t.mapped_field: t.mapped_value}))
    assert t.probe.summary(ref.key) == "Scanner in room 12 is offline"
    assert t.probe.field(ref.key, t.mapped_field) == t.mapped_value
    assert ref.url.startswith("http")


def finds_a_ticket_by_correlation_id(t: TrackerUnderTest) -> None:
    """A retried create finds the ticket the first try opened."""
    ref = t.tracker.create_ticket(draft("m-42"))
    assert t.tracker.find_by_correlation("m-42") == ref
    assert t.tracker.find_by_correlation("m-unknown") is None


def adds_public_and_internal_comments_once(t: TrackerUnderTest) -> None:
    """Comments land once per correlation id, public or internal as asked."""
    key = t.tracker.create_ticket(draft()).key
    public = CommentDraft(correlation_id="c-1", body="Rebooted it.", author=REQUESTER)
    internal = CommentDraft(correlation_id="c-2", body="Bounce noted.", public=False)
    for comment in (public, public, internal):
        t.tracker.add_comment(key, comment)
    texts = [(text.strip(), shown) for text, shown in t.probe.comments(key)]
    assert [shown for _, shown in texts] == [True, False]
    assert "Rebooted it." in texts[0][0]


def attaches_files_once(t: TrackerUnderTest) -> None:
    """A file is attached with its bytes, once."""
    key = t.tracker.create_ticket(draft()).key
    data = b"line 1\nline 2\n"
    for _ in range(2):
        t.tracker.attach(key, attachment("scanner.log", data), data)
    assert t.probe.files(key) == [("scanner.log", data)]


def links_related_tickets(t: TrackerUnderTest) -> None:
    """A follow-up is linked to the ticket it follows."""
    first = t.tracker.create_ticket(draft("m-1")).key
    second = t.tracker.create_ticket(draft("m-2")).key
    t.tracker.link(second, first, "follows-up")
    assert first in t.probe.links(second)


def cuts_a_long_summary_on_a_word(t: TrackerUnderTest) -> None:
    """A 290 KB subject opens a ticket whose summary fits, cut after a word."""
    mail = NormalizedMail(subject=LONG_SUBJECT, text_body="It stopped at 09:10.")
    ref = t.tracker.create_ticket(draft_ticket(mail, "m-long", {}, []))

    summary = t.probe.summary(ref.key)
    kept = summary.removesuffix("\u2026")
    assert len(summary) <= t.summary_limit and kept != summary
    assert LONG_SUBJECT.startswith(kept + " ")


CONTRACT: list[Callable[[TrackerUnderTest], None]] = [
    creates_a_ticket_with_mapped_fields,
    finds_a_ticket_by_correlation_id,
    adds_public_and_internal_comments_once,
    attaches_files_once,
    links_related_tickets,
    cuts_a_long_summary_on_a_word,
]
