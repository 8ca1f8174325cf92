"""Azure DevOps service hooks become tool events, or are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.trackers.azure_devops import WebhookRejectedError, read_webhook
from mailroom.errors import MalformedInputError
from mailroom.models import Address, CommentDraft
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_azure_devops import (
    AGENT,
    ORG,
    FakeAzureDevOps,
    connect,
    hook_headers,
    section,
    service_hook,
)

BEN = Address(email="ben.okafor@example.com", name="Ben Okafor")


def commented(history: str, item: int = 4) -> bytes:
    """Return a `workitem.commented` call with a comment's HTML."""
    fields = {"System.Title": "VPN down", "System.History": history}
    return service_hook(
        "workitem.commented",
        {"id": item, "rev": 3, "fields": fields | {"System.ChangedBy": AGENT}},
    )


def updated(old: str, new: str) -> bytes:
    """Return a `workitem.updated` call that moves the state."""
    revision = {"id": 4, "rev": 5, "fields": {"System.Title": "VPN down"}}
    resource: dict[str, Any] = {
        "id": 2,
        "workItemId": 4,
        "revisedBy": AGENT,
        "fields": {"System.State": {"oldValue": old, "newValue": new}},
        "revision": revision,
    }
    return service_hook("workitem.updated", resource)


def test_a_comment_becomes_a_public_comment_event() -> None:
    """A person's comment reaches Mailroom with its author, text and key."""
    [event] = read_webhook(
        section(), "boards", hook_headers(), commented("<p>Fixed</p>")
    )
    assert (event.kind, event.ticket_key, event.body) == ("comment", "AB#4", "Fixed")
    assert event.author == BEN and event.public and event.origin == "tool"
    assert event.ticket_url == f"{ORG}/Help%20Desk/_workitems/edit/4"


def test_a_forged_call_is_refused() -> None:
    """Wrong credentials are refused before the body is read."""
    with pytest.raises(WebhookRejectedError):
        read_webhook(section(), "boards", hook_headers(password="guess"), b"{")


def test_an_unsigned_call_is_refused() -> None:
    """A call without credentials is refused."""
    headers = {"Content-Type": "application/json"}
    with pytest.raises(WebhookRejectedError):
        read_webhook(section(), "boards", headers, commented("<p>Hi</p>"))


def test_a_tracker_without_hook_credentials_takes_no_calls() -> None:
    """With no hook_username and hook_password, every call is refused."""
    bare = section(hook_username=None, hook_password=None)
    with pytest.raises(WebhookRejectedError, match="hook_password"):
        read_webhook(bare, "boards", hook_headers(), commented("<p>Hi</p>"))


def test_mailroom_s_own_comment_is_marked_as_such() -> None:
    """A comment carrying Mailroom's marker comes back with origin mailroom."""
    fake = FakeAzureDevOps()
    tracker = connect(fake)
    key = tracker.create_ticket(draft()).key
    tracker.add_comment(key, CommentDraft(correlation_id="m-5", body="From mail"))
    html = fake.items[1].comments[0]["text"]
    [event] = read_webhook(section(), "boards", hook_headers(), commented(html, 1))
    assert event.origin == "mailroom" and "mailroom-comment" not in event.body


def test_an_internal_note_is_not_public() -> None:
    """A comment opening with "Internal note:" stays off the mail thread."""
    body = commented("<p><b>Internal note:</b></p><div>Bounce</div>")
    [event] = read_webhook(section(), "boards", hook_headers(), body)
    assert not event.public


def test_a_state_change_becomes_a_status_event() -> None:
    """A `workitem.updated` that moves System.State is a status event."""
    [event] = read_webhook(
        section(), "boards", hook_headers(), updated("To Do", "Done")
    )
    assert (event.kind, event.status, event.ticket_key) == ("status", "Done", "AB#4")


def test_a_state_change_is_dated_by_its_changed_date() -> None:
    """System.ChangedDate orders changes; without it, the event's createdDate."""
    changed = {
        "System.Title": "VPN down",
        "System.ChangedDate": "2024-05-02T09:10:05.25Z",
    }
    dated = json.loads(updated("To Do", "Done"))
    dated["resource"]["revision"]["fields"] = changed
    body = json.dumps(dated).encode()
    [event] = read_webhook(section(), "boards", hook_headers(), body)
    assert event.changed_at == datetime(2024, 5, 2, 9, 10, 5, 250000, tzinfo=UTC)
    [plain] = read_webhook(section(), "boards", hook_headers(), updated("A", "B"))
    assert plain.changed_at == datetime(2024, 5, 2, 9, 10, 11, tzinfo=UTC)


def test_an_update_without_a_state_change_yields_nothing() -> None:
    """Other updates are accepted and carry no event."""
    body = updated("Doing", "Doing")
    assert read_webhook(section(), "boards", hook_headers(), body) == []


def test_a_work_item_made_in_the_tool_names_its_requester() -> None:
    """A `workitem.created` reads the requester from the mapped field."""
    fields = {
        "System.Title": "New laptop",
        "System.State": "To Do",
        "Custom.RequesterEmail": "Ada Lindqvist <ada.lindqvist@example.com>",
    }
    body = service_hook("workitem.created", {"id": 9, "fields": fields})
    [event] = read_webhook(section(), "boards", hook_headers(), body)
    assert event.kind == "created" and event.origin == "tool"
    assert event.requester == Address(
        email="ada.lindqvist@example.com", name="Ada Lindqvist"
    )


def test_a_work_item_mailroom_made_is_its_own() -> None:
    """A created work item with Mailroom's tag has origin mailroom."""
    fields = {"System.Title": "VPN", "System.Tags": "vpn; mailroom-m-1"}
    body = service_hook("workitem.created", {"id": 9, "fields": fields})
    [event] = read_webhook(section(), "boards", hook_headers(), body)
    assert event.origin == "mailroom"


def test_other_event_types_are_accepted_without_events() -> None:
    """A build event, say, yields nothing."""
    body = service_hook("build.complete", {"id": 1})
    assert read_webhook(section(), "boards", hook_headers(), body) == []


def test_an_authenticated_call_that_is_not_json_is_malformed() -> None:
    """A body that is not JSON is quarantined as malformed input."""
    with pytest.raises(MalformedInputError):
        read_webhook(section(), "boards", hook_headers(), b"<xml/>")
