"""EWM notifications, signed by the relay, become tool events or are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.trackers.ewm import WebhookRejectedError, read_webhook
from mailroom.errors import MalformedInputError
from mailroom.models import Address, CommentDraft
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_ewm import (
    FakeEwm,
    connect,
    notification,
    section,
    signed,
)

NOW = datetime(2024, 5, 2, 9, 10, tzinfo=UTC)
BEN = {"foaf:name": "Ben Okafor", "foaf:mbox": "mailto:ben.okafor@example.com"}


def comment(html: str) -> bytes:
    """Return a comment notification about work item 4."""
    return notification(
        "comment", 4, comment={"dcterms:description": html, "dcterms:creator": BEN}
    )


def test_a_signed_comment_becomes_a_public_comment_event() -> None:
    """A person's comment reaches Mailroom with its author, text and key."""
    body = comment("<p>Fixed it</p>")
    [event] = read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
    assert (event.kind, event.ticket_key, event.body) == (
        "comment",
        "EWM-4",
        "Fixed it",
    )
    assert event.author == Address(email="ben.okafor@example.com", name="Ben Okafor")
    assert event.public and event.origin == "tool" and event.ticket_url


def test_a_forged_signature_is_refused() -> None:
    """A signature made with another secret is refused."""
    body = comment("<p>Hi</p>")
    with pytest.raises(WebhookRejectedError, match="X-Mailroom-Signature"):
        read_webhook(section(), "ewm", signed(body, NOW, "guess"), body, NOW)


def test_an_unsigned_call_is_refused() -> None:
    """A call without the timestamp and signature is refused."""
    with pytest.raises(WebhookRejectedError):
        read_webhook(section(), "ewm", {}, comment("<p>Hi</p>"), NOW)


def test_a_changed_body_breaks_the_signature() -> None:
    """The signature covers the body: a changed body is refused."""
    headers = signed(comment("<p>Hi</p>"), NOW)
    with pytest.raises(WebhookRejectedError):
        read_webhook(section(), "ewm", headers, comment("<p>Bye</p>"), NOW)


def test_an_old_call_is_refused_as_a_replay() -> None:
    """A call signed more than five minutes ago is refused."""
    body = comment("<p>Hi</p>")
    headers = signed(body, NOW - timedelta(minutes=6))
    with pytest.raises(WebhookRejectedError, match="five minutes"):
        read_webhook(section(), "ewm", headers, body, NOW)


def test_a_tracker_without_a_secret_takes_no_notifications() -> None:
    """With no notification_secret, every call is refused."""
    body = comment("<p>Hi</p>")
    with pytest.raises(WebhookRejectedError, match="notification_secret"):
        read_webhook(
            section(notification_secret=None), "ewm", signed(body, NOW), body, NOW
        )


def test_mailroom_s_own_comment_is_marked_as_such() -> None:
    """A comment carrying Mailroom's marker comes back with origin mailroom."""
    fake = FakeEwm()
    tracker = connect(fake)
    key = tracker.create_ticket(draft()).key
    tracker.add_comment(key, CommentDraft(correlation_id="m-5", body="From mail"))
    body = comment(fake.items[1].comments[0]["dcterms:description"])
    [event] = read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
    assert event.origin == "mailroom" and "mailroom-comment" not in event.body


def test_a_status_change_becomes_a_status_event() -> None:
    """A status notification carries the new state."""
    body = notification(
        "status", 4, workItem={"dcterms:identifier": "4", "oslc_cm:status": "Resolved"}
    )
    [event] = read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
    assert (event.kind, event.status) == ("status", "Resolved")


def test_a_status_change_is_dated_by_dcterms_modified_else_its_signature() -> None:
    """The relay's modified time orders changes; the signed time stands in."""
    item = {"dcterms:identifier": "4", "oslc_cm:status": "Resolved"}
    dated = item | {"dcterms:modified": "2024-05-02T09:08:30.125Z"}
    body = notification("status", 4, workItem=dated)
    [event] = read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
    assert event.changed_at == datetime(2024, 5, 2, 9, 8, 30, 125000, tzinfo=UTC)
    body = notification("status", 4, workItem=item)
    [plain] = read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
    assert plain.changed_at == NOW


def test_a_work_item_made_in_the_tool_names_its_requester() -> None:
    """A created notification carries the requester to mail."""
    ada = {
        "foaf:name": "Ada Lindqvist",
        "foaf:mbox": "mailto:ada.lindqvist@example.com",
    }
    body = notification("created", 9, requester=ada)
    [event] = read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
    assert event.kind == "created" and event.requester is not None
    assert event.requester.email == "ada.lindqvist@example.com"


def test_other_events_are_accepted_without_events() -> None:
    """An event kind Mailroom does not read yields nothing."""
    body = notification("approval", 4)
    assert read_webhook(section(), "ewm", signed(body, NOW), body, NOW) == []


def test_a_verified_call_that_is_not_json_is_malformed() -> None:
    """A signed body that is not JSON is quarantined as malformed input."""
    body = b"<xml/>"
    with pytest.raises(MalformedInputError):
        read_webhook(section(), "ewm", signed(body, NOW), body, NOW)
