"""A mail's whole life through the stages, GraphMailbox and the real SDK."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from mailroom.config import MailboxConfig
from tests.adapters.mail.conftest import mime
from tests.adapters.mail.graph_pipeline import HELPDESK, GraphPipeline, graph_config

SUBJECT = "Scanner jams on tray two"
SENDER = "bob.quill@example.com"
BODY = "Every third sheet folds in half."


@pytest.fixture
def inbox_only(tmp_path: Path) -> Iterator[GraphPipeline]:
    """Yield the pipeline watching the helpdesk's Inbox alone, subscribed."""
    watched = [MailboxConfig(address=HELPDESK, folders=["Inbox"])]
    config = graph_config().model_copy(update={"mailboxes": watched})
    running = GraphPipeline(tmp_path, config)
    running.subscribe()
    yield running
    running.close()


def requests_for(pipeline: GraphPipeline, item_id: str) -> list[str]:
    """Return the Graph requests that named a mail's id."""
    return [path for path in pipeline.graph.paths() if item_id in path]


def sent_message(pipeline: GraphPipeline, index: int = -1) -> str:
    """Return the Message-ID of a mail Mailroom sent."""
    posts = [r for r in pipeline.graph.requests if r.url.path.endswith("/sendMail")]
    sent = message_from_bytes(
        base64.b64decode(posts[index].content), policy=policy.default
    )
    return str(sent["Message-ID"])


def test_a_new_mail_costs_one_get_and_one_post(inbox_only: GraphPipeline) -> None:
    """Notification, fetch with its attachment, ticket, one acknowledgement."""
    pipeline = inbox_only
    before = len(pipeline.graph.requests)

    item_id = pipeline.deliver(mime(SUBJECT, SENDER, attachment=b"%PDF-1.7 a log"))

    [ticket] = pipeline.tracker.tickets.values()
    assert list(ticket.files) == ["log.pdf"]
    assert pipeline.graph.calls()[before:] == [
        ("GET", f"v1.0/users/{HELPDESK}/messages/{item_id}/$value"),
        ("POST", f"v1.0/users/{HELPDESK}/sendMail"),
    ]


def test_the_acknowledgement_in_sent_items_costs_one_get_and_no_ticket(
    pipeline: GraphPipeline,
) -> None:
    """Watching Sent Items, Mailroom fetches its own copy once, then skips it."""
    before = len(pipeline.graph.requests)

    pipeline.deliver(mime(SUBJECT, SENDER, attachment=b"%PDF-1.7 a log"))

    made = [(verb, path.rsplit("/")[-1]) for verb, path in pipeline.graph.calls()]
    own_copy = ("GET", "$value")
    assert made[before:] == [("GET", "$value"), ("POST", "sendMail"), own_copy]
    assert len(pipeline.tracker.tickets) == 1


def test_a_reply_to_the_acknowledgement_becomes_a_comment(
    pipeline: GraphPipeline,
) -> None:
    """The requester's reply threads to the ticket; no second ticket or ack."""
    pipeline.deliver(mime(SUBJECT, SENDER))
    ack = sent_message(pipeline)

    reply = mime(
        f"RE: {SUBJECT}", SENDER, "<r1@example.com>", "Also tray one.", In_Reply_To=ack
    )
    item_id = pipeline.deliver(reply)

    [ticket] = pipeline.tracker.tickets.values()
    [comment] = ticket.comments
    assert comment.body.startswith("Also tray one.")
    assert len(requests_for(pipeline, item_id)) == 1 and len(pipeline.sent()) == 1


def test_a_notification_sent_twice_fetches_once(pipeline: GraphPipeline) -> None:
    """Graph's duplicate notification costs no second fetch."""
    item_id = pipeline.deliver(mime(SUBJECT, SENDER))

    pipeline.graph.notify("helpdesk@example.org", "Inbox", item_id, "created")
    pipeline.drain()

    assert len(requests_for(pipeline, item_id)) == 1
    assert len(pipeline.tracker.tickets) == 1


def test_the_logs_hold_no_subject_sender_or_body(
    pipeline: GraphPipeline, caplog: pytest.LogCaptureFixture
) -> None:
    """A full run logs ids and outcomes, never what the mail says."""
    caplog.set_level(logging.DEBUG)

    pipeline.deliver(mime(SUBJECT, SENDER, body=BODY))

    # httpx logs each URL at INFO; runtime.logs holds it at WARNING.
    records = [r for r in caplog.records if r.name != "httpx"]
    logged = " ".join(str(vars(record)) for record in records)
    assert pipeline.tracker.tickets
    for secret in (SUBJECT, SENDER, BODY, "s3cr3t", "helpdesk"):
        assert secret not in logged


def test_every_request_of_a_mails_life_asks_for_immutable_ids(
    pipeline: GraphPipeline,
) -> None:
    """Subscriptions, delta, fetch and send: all carry the Prefer header."""
    pipeline.deliver(mime(SUBJECT, SENDER))

    prefer = {r.headers.get("Prefer") for r in pipeline.graph.requests}
    assert prefer == {'IdType="ImmutableId"'}
    ends = {path.rsplit("/", 1)[-1] for _, path in pipeline.graph.calls()}
    assert {"subscriptions", "delta()", "$value", "sendMail"} <= ends
