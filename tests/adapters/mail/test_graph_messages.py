"""Fetching and sending mail through GraphMailbox and the real SDK."""

from __future__ import annotations

import base64
import threading
from email import message_from_bytes, policy

import pytest

from adapters.mail.graph import GraphMailbox
from mailroom.errors import MessageNotFoundError, PermanentError
from mailroom.models import Address, OutgoingMail
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


def test_fetch_is_two_gets_with_the_mime_whole(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A fetch asks for the MIME and the facts, and returns both."""
    raw = mime(attachment=b"%PDF-1.7 small")
    item_id = graph.store.add(HELPDESK, "Inbox", raw, clock.now())

    fetched = mailbox.fetch_message(HELPDESK, item_id)

    assert fetched.raw == raw
    assert fetched.item.folder == "AAMkFolderInbox"
    assert fetched.item.conversation_id and fetched.item.received_at == clock.now()
    assert len(graph.requests) == 2


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

    assert graph.most_in_flight == 4 and len(graph.requests) == 20
