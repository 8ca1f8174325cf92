"""Fetching and sending mail through GraphMailbox and the real SDK."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from adapters.mail.graph import GraphMailbox
from mailroom.errors import MessageNotFoundError, PermanentError
from mailroom.mime import parse_mail
from mailroom.models import Address, OutgoingMail
from mailroom.thread_lookup import conversation_keys
from tests.adapters.mail.conftest import mime
from tests.adapters.mail.fake_graph import FakeGraph, error
from tests.adapters.mail.graph_pipeline import HELPDESK, Clock

ACK = OutgoingMail(
    message_id="ack-1@mailroom.invalid",
    to=[Address(email="ann@example.com", name="Ann")],
    subject="[HELP-1] Printer on fire",
    text_body="We opened HELP-1.",
    in_reply_to="<p1@example.com>",
    references=["<p1@example.com>"],
    headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
)

# Outlook's conversation header: a 22-byte root, as a new mail carries it.
THREAD_INDEX = "AdkE3J2fQk1A5b7cRg6T0Pq8xYzW1g=="


def test_fetch_is_one_get_of_the_mime_whole(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A fetch asks for `$value` only and returns the MIME as stored."""
    raw = mime(attachment=b"%PDF-1.7 small")
    item_id = graph.store.add(HELPDESK, "Inbox", raw, clock.now())

    fetched = mailbox.fetch_message(HELPDESK, item_id)

    assert fetched.raw == raw
    assert graph.paths() == [f"v1.0/users/{HELPDESK}/messages/{item_id}/$value"]
    assert not graph.requests[0].url.query


def test_fetch_leaves_folder_and_conversation_to_others(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """The change names the folder; threading reads Thread-Index from the MIME."""
    raw = mime(Thread_Index=THREAD_INDEX)
    item_id = graph.store.add(HELPDESK, "Inbox", raw, clock.now())

    fetched = mailbox.fetch_message(HELPDESK, item_id)

    item = fetched.item
    assert item.folder == "" and item.conversation_id is None
    keys = conversation_keys(parse_mail(fetched.raw).mail, item.conversation_id)
    assert keys == ["thread-index:" + base64.b64decode(THREAD_INDEX).hex()]


def test_fetch_dates_the_mail_by_its_newest_received_header(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """The topmost Received header is Exchange's delivery; Date is older."""
    raw = (
        b"Received: from ex1.mail.example.net by ex2.mail.example.net with HTTPS;\r\n"
        b" Wed, 2 Dec 2026 09:00:07 +0100\r\n"
        b"Received: from mx.example.com by ex1.mail.example.net;\r\n"
        b" Wed, 2 Dec 2026 08:00:05 +0000\r\n" + mime()
    )
    item_id = graph.store.add(HELPDESK, "Inbox", raw, clock.now())

    fetched = mailbox.fetch_message(HELPDESK, item_id)

    assert fetched.item.received_at == datetime(2026, 12, 2, 8, 0, 7, tzinfo=UTC)


def test_fetch_dates_a_mail_without_received_headers_by_its_date(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Mail the mailbox sent itself crossed no hop: its Date is the time."""
    item_id = graph.store.add(HELPDESK, "SentItems", mime(), clock.now())

    fetched = mailbox.fetch_message(HELPDESK, item_id)

    assert fetched.item.received_at == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def test_an_attached_outlook_item_is_read_as_a_related_mail(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Exchange serves an item attachment inside `$value` as message/rfc822."""
    raw = forward_with_attached_mail()
    item_id = graph.store.add(HELPDESK, "Inbox", raw, clock.now())

    fetched = mailbox.fetch_message(HELPDESK, item_id)

    [related] = parse_mail(fetched.raw).mail.related
    assert related.subject == "Invoice 4411 overdue"
    assert related.sender == Address(email="billing@supplier.example", name="")
    assert related.attachment_names == ["invoice.pdf"]
    assert len(graph.requests) == 1


def test_fetch_of_a_gone_mail_raises_not_found(mailbox: GraphMailbox) -> None:
    """A 404 (ErrorItemNotFound) becomes MessageNotFoundError."""
    with pytest.raises(MessageNotFoundError, match="no longer in the mailbox"):
        mailbox.fetch_message(HELPDESK, "AAMkAGI2gone=")


def test_fetch_refuses_mime_over_the_limit(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A mail past the byte limit is refused, not read into memory whole."""
    item_id = graph.store.add(HELPDESK, "Inbox", mime(body="x" * 70_000), clock.now())

    with pytest.raises(PermanentError, match="over 65536 bytes"):
        mailbox.fetch_message(HELPDESK, item_id)


def test_send_posts_base64_mime_once(graph: FakeGraph, mailbox: GraphMailbox) -> None:
    """An acknowledgement is one sendMail POST of MIME, as text/plain."""
    message_id = mailbox.send(HELPDESK, ACK)

    [post] = graph.requests
    sent = message_from_bytes(base64.b64decode(post.content), policy=policy.default)
    assert post.headers["Content-Type"] == "text/plain"
    assert message_id == sent["Message-ID"] == "<ack-1@mailroom.invalid>"
    assert sent["In-Reply-To"] == "<p1@example.com>"
    assert sent["Auto-Submitted"] == "auto-replied"


def test_send_again_after_a_lost_answer_looks_in_sent_items(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A retry after a 5xx that did send finds the mail and sends nothing."""
    graph.store.add(
        HELPDESK, "SentItems", mime(message_id="<ack-1@mailroom.invalid>"), graph.now()
    )
    graph.answers.append((("POST", "sendMail"), error(500, "generalException", "")))

    with pytest.raises(Exception, match="answered 500"):
        mailbox.send(HELPDESK, ACK)
    mailbox.send(HELPDESK, ACK)

    assert len(graph.paths("POST")) == 1


def test_every_request_asks_for_immutable_ids(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Each request carries Prefer: IdType="ImmutableId"."""
    item_id = graph.store.add(HELPDESK, "Inbox", mime(), clock.now())
    mailbox.fetch_message(HELPDESK, item_id)
    mailbox.send(HELPDESK, ACK)
    mailbox.delta(HELPDESK, "Inbox", None)

    prefer = [r.headers.get("Prefer") for r in graph.requests]
    assert prefer == ['IdType="ImmutableId"'] * len(graph.requests)


def test_no_more_than_four_requests_at_once_per_mailbox(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Ten threads fetching at once keep Graph's mailbox concurrency of four."""
    graph.latency = 0.02
    ids = [graph.store.add(HELPDESK, "Inbox", mime(), clock.now()) for _ in range(10)]
    threads = [
        threading.Thread(target=mailbox.fetch_message, args=(HELPDESK, i)) for i in ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert graph.most_in_flight == 4 and len(graph.requests) == 10


def forward_with_attached_mail() -> bytes:
    """Return a mail carrying another, with its PDF, as Exchange renders it."""
    inner = EmailMessage()
    inner["From"] = "billing@supplier.example"
    inner["To"] = "ann@example.com"
    inner["Subject"] = "Invoice 4411 overdue"
    inner["Message-ID"] = "<inv4411@supplier.example>"
    inner.set_content("Please pay invoice 4411.")
    inner.add_attachment(
        b"%PDF-1.7", maintype="application", subtype="pdf", filename="invoice.pdf"
    )

    forward = mime(subject="FW: Invoice 4411")
    outer = message_from_bytes(forward, policy=policy.default)
    assert isinstance(outer, EmailMessage)
    outer.add_attachment(inner, filename="Invoice 4411 overdue.eml")
    return outer.as_bytes()
