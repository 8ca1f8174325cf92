"""A reply ingested before its original's ticket exists still threads."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.deliver import handle_delivery
from handlers.ingest import handle_change
from mailroom.errors import RetryableError
from mailroom.messages import MailChange
from runtime.session import SAMPLES
from tests.pipeline import HELPDESK, Pipeline

ORIGINAL = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
REPLY = (SAMPLES / "03-reply-to-vpn-outlook-quote.eml").read_bytes()
NEW_SUBJECT = (SAMPLES / "06-reply-with-new-subject.eml").read_bytes()
SECOND = (SAMPLES / "02-calendar-sync-key-equals.eml").read_bytes()


def test_a_reply_ingested_before_the_ticket_exists_becomes_its_comment(
    tmp_path: Path,
) -> None:
    """Both mails are ingested before either is delivered: one ticket."""
    pipeline = Pipeline(tmp_path)
    pipeline.mailbox.deliver(HELPDESK, ORIGINAL)
    pipeline.mailbox.deliver(HELPDESK, REPLY)
    pipeline.drain()

    [ticket] = pipeline.tracker.tickets.values()
    assert [c.author.email for c in ticket.comments if c.author] == [
        "ingrid.halvorsen@example.com"
    ]
    assert pipeline.poison == []


def test_a_subject_change_links_to_a_ticket_opened_in_the_same_burst(
    tmp_path: Path,
) -> None:
    """The follow-up links to the original's ticket once that exists."""
    pipeline = Pipeline(tmp_path)
    pipeline.mailbox.deliver(HELPDESK, SECOND)
    pipeline.mailbox.deliver(HELPDESK, NEW_SUBJECT)
    pipeline.drain()

    links = [link for t in pipeline.tracker.tickets.values() for link in t.links]
    assert links == [("follows-up", "HELP-1")]


def test_a_comment_waits_while_its_ticket_is_still_being_opened(
    tmp_path: Path,
) -> None:
    """Delivered first, the reply's comment asks to be retried, not dropped."""
    pipeline = Pipeline(tmp_path)
    pipeline.mailbox.deliver(HELPDESK, ORIGINAL)
    pipeline.mailbox.deliver(HELPDESK, REPLY)
    changes = pipeline.queues["mail-changes"]
    deliveries = [
        handle_change(MailChange.model_validate_json(c), pipeline.services)
        for c in changes
    ]
    create, comment = deliveries[0][0], deliveries[1][0]

    with pytest.raises(RetryableError):
        handle_delivery(comment, pipeline.services)
    handle_delivery(create, pipeline.services)
    handle_delivery(comment, pipeline.services)
    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1
