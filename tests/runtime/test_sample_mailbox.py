"""The bundled sample mailbox through the real local host, end to end."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from adapters.trackers.local_views import TicketView
from handlers.ingest import mail_key
from handlers.ledger import Ledger, MailRecord
from mailroom.mime import parse_mail
from runtime import wiring
from runtime.local_host import LocalHost
from runtime.session import SAMPLES

pytestmark = pytest.mark.slow
HELPDESK = "helpdesk@example.org"


def deliver_samples(host: LocalHost) -> None:
    """Deliver every sample in name order, each once the previous is done."""
    mailbox = wiring.local_mailbox(wiring.settings())
    for path in sorted(SAMPLES.glob("*.eml")):
        mailbox.deliver(HELPDESK, path.read_bytes())
        assert host.wait_idle(60)


def record_of(file: str) -> MailRecord:
    """Return the ledger record of a sample file."""
    raw = (SAMPLES / file).read_bytes()
    key = mail_key(HELPDESK, parse_mail(raw).mail, None, raw, wiring.settings())
    record = Ledger(wiring.services().store).mail(key)
    assert record is not None, file
    return record


def tickets() -> dict[str, TicketView]:
    """Return the local tracker's tickets by key."""
    tracker = wiring.services().trackers["local"]
    return {view.key: view for view in tracker.list_tickets()}  # type: ignore[attr-defined]


def sent() -> list[EmailMessage]:
    """Return every mail in the helpdesk's sent folder."""
    mailbox = wiring.local_mailbox(wiring.settings())
    ids = mailbox.items(HELPDESK, "SentItems")
    return [
        email.message_from_bytes(  # type: ignore[misc]
            mailbox.read(HELPDESK, "SentItems", item), policy=policy.default
        )
        for item in ids
    ]


def check_ticket(
    view: TicketView, expected: dict[str, Any], keys: dict[str, str]
) -> None:
    """Compare a created ticket with the sample's expectations."""
    assert view.summary == expected["summary"]
    assert view.requester is not None
    assert view.requester.email == expected["requester"]["email"]
    for name, value in expected["fields"].items():
        assert view.fields.get(name) == value, name
    for text in expected["description_contains"]:
        assert text in " ".join(view.description.split()), text
    files = {a.filename: a.inline for a in view.attachments}
    assert {n for n, inline in files.items() if not inline} == set(
        expected["attachments"]
    )
    assert {n for n, inline in files.items() if inline} == set(expected["inline"])
    if "linked_to" in expected:
        linked = [link.other_key for link in view.links]
        assert keys[expected["linked_to"]] in linked


def check_comment(view: TicketView, expected: dict[str, Any]) -> None:
    """Find the sample's reply among the ticket's comments."""
    bodies = [" ".join(comment.body.split()) for comment in view.comments]
    matching = [b for b in bodies if all(t in b for t in expected["comment_contains"])]
    assert len(matching) == 1
    for text in expected["comment_excludes"]:
        assert text not in matching[0], text


def test_samples_become_the_intended_tickets_comments_and_skips(
    host: LocalHost, sample_expectations: dict[str, Any]
) -> None:
    """Every sample ends exactly as samples/mailbox/expected.json says."""
    deliver_samples(host)
    check_outcomes(sample_expectations)


def actual_keys(sample_expectations: dict[str, Any]) -> dict[str, str]:
    """Map each expected ticket key to the key its mail really opened.

    Mail that arrives together may be numbered in another order; what must
    hold is which mail opened a ticket, not the number it got.
    """
    ledger = Ledger(wiring.services().store)
    mapping: dict[str, str] = {}
    for expected in sample_expectations["messages"]:
        if expected["outcome"] == "ticket":
            record = record_of(expected["file"])
            done = ledger.delivery(record.key, "local")
            assert done is not None and done.ticket is not None, expected["file"]
            mapping[expected["ticket"]] = done.ticket.key
    return mapping


def check_outcomes(sample_expectations: dict[str, Any]) -> None:
    """Compare the ledger and the tracker with the samples' expectations."""
    keys = actual_keys(sample_expectations)
    found = tickets()
    views = {name: found[key] for name, key in keys.items()}
    for expected in sample_expectations["messages"]:
        record = record_of(expected["file"])
        if expected["outcome"] == "ticket":
            check_ticket(views[expected["ticket"]], expected, keys)
        elif expected["outcome"] == "comment":
            check_comment(views[expected["ticket"]], expected)
        else:
            assert (record.status, record.kind) == ("skipped", expected["skip_kind"])
            assert expected["skip_reason_contains"].lower() in record.reason.lower()
    assert sorted(found) == sorted(keys.values())


def test_each_new_ticket_is_acknowledged_once_as_a_reply(
    host: LocalHost, sample_expectations: dict[str, Any]
) -> None:
    """One acknowledgement per ticket, to the requester, threaded, marked."""
    deliver_samples(host)
    check_acknowledgements(sample_expectations)


def check_acknowledgements(sample_expectations: dict[str, Any]) -> None:
    """Find exactly one acknowledgement per new ticket, well formed."""
    acks = {mail["In-Reply-To"]: mail for mail in sent()}
    wanted = [m for m in sample_expectations["messages"] if m["acknowledged"]]
    assert len(acks) == len(sent()) == len(wanted)
    found = tickets()
    views = {name: found[key] for name, key in actual_keys(sample_expectations).items()}
    for expected in wanted:
        ack = acks[expected["message_id"]]
        assert ack["To"].addresses[0].addr_spec == expected["requester"]["email"]
        assert ack["X-Auto-Response-Suppress"] == "All"
        assert ack["Auto-Submitted"] == "auto-replied"
        assert views[expected["ticket"]].url in ack.get_content()


def test_running_again_and_repeated_notifications_add_nothing(
    host: LocalHost,
) -> None:
    """A second delivery of every sample, and notifications posted three
    times, leave tickets, comments and acknowledgements unchanged."""
    deliver_samples(host)
    before = snapshot()
    deliver_samples(host)

    mailbox = wiring.local_mailbox(wiring.settings())
    for item in mailbox.items(HELPDESK, "Inbox"):
        for _ in range(3):
            assert mailbox.renotify(HELPDESK, "Inbox", item) == 1
    assert host.wait_idle(60)
    assert snapshot() == before


def snapshot() -> tuple[int, int, int, int]:
    """Count tickets, comments, files and sent mails."""
    views = tickets().values()
    return (
        len(views),
        sum(len(v.comments) for v in views),
        sum(len(v.attachments) for v in views),
        len(sent()),
    )
