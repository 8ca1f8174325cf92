"""Jira's signed webhooks become tool events; unsigned or forged ones do not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.trackers.jira import WebhookRejectedError, read_webhook
from mailroom.errors import MalformedInputError
from mailroom.models import Address, CommentDraft
from mailroom.tool_events import ToolEvent
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_jira import BASE, FakeJira, connect, section, sign

AGENT = {"displayName": "Sam Agent", "emailAddress": "sam@example.org"}
ISSUE = {"id": "10001", "key": "HELP-1", "fields": {"summary": "Scanner offline"}}


def adf(text: str) -> dict[str, Any]:
    """Return a one-paragraph ADF document."""
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


def commented(body: Any, **comment: Any) -> dict[str, Any]:
    """Return a comment_created payload as Jira sends it."""
    held = {"id": "10005", "author": AGENT, "body": body, "jsdPublic": True}
    payload = {"timestamp": 1716800000000, "webhookEvent": "comment_created"}
    return payload | {"comment": held | comment, "issue": ISSUE}


def read(payload: dict[str, Any], deployment: str = "cloud") -> list[ToolEvent]:
    """Sign a payload with the configured secret and read it."""
    body = json.dumps(payload).encode()
    return read_webhook(section(deployment), "jira", sign(body), body)


def test_a_signed_public_comment_becomes_a_comment_event() -> None:
    """Author, text, ids and the issue's address travel with the event."""
    (event,) = read(commented(adf("Replaced the fuser.")))
    assert event.kind == "comment" and event.origin == "tool" and event.public
    assert event.author == Address(email="sam@example.org", name="Sam Agent")
    assert event.body == "Replaced the fuser."
    assert (event.event_id, event.ticket_key) == ("comment-10005", "HELP-1")
    assert event.ticket_url == f"{BASE}/browse/HELP-1"


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-hub-signature": "sha256=" + "0" * 64}, sign(b"{}", "other-secret")],
    ids=["missing", "forged", "wrong-secret"],
)
def test_an_unsigned_or_forged_webhook_is_refused(headers: dict[str, str]) -> None:
    """Nothing is read from a request whose signature does not match."""
    body = json.dumps(commented(adf("Please wire money."))).encode()
    with pytest.raises(WebhookRejectedError, match=r"trackers\.jira\.webhook_secret"):
        read_webhook(section(), "jira", headers, body)


def test_without_a_configured_secret_every_webhook_is_refused() -> None:
    """An unset webhook_secret refuses rather than trusting anyone."""
    body = json.dumps(commented(adf("hi"))).encode()
    with pytest.raises(
        WebhookRejectedError, match=r"until trackers\.jira\.webhook_secret"
    ):
        read_webhook(section(webhook_secret=None), "jira", sign(body), body)


def test_a_signed_webhook_sent_days_ago_is_refused_as_a_replay() -> None:
    """Jira's signed timestamp dates the request; a stale one is refused."""
    body = json.dumps(commented(adf("hi"))).encode()  # stamped 2024-05-27
    sent = datetime.fromtimestamp(1716800000, UTC)
    assert read_webhook(section(), "jira", sign(body), body, sent + timedelta(hours=1))
    with pytest.raises(WebhookRejectedError, match="more than a day ago"):
        read_webhook(section(), "jira", sign(body), body, sent + timedelta(days=2))


def test_the_signature_header_is_found_in_any_case() -> None:
    """Jira sends X-Hub-Signature; the host may have lowered it or not."""
    body = json.dumps(commented(adf("ok"))).encode()
    headers = {"X-Hub-Signature": sign(body)["x-hub-signature"]}
    assert len(read_webhook(section(), "jira", headers, body)) == 1


def test_internal_comments_are_not_mailed() -> None:
    """A role-restricted or service-desk-internal comment makes no event."""
    restricted = commented(adf("Internal"), visibility={"type": "role", "value": "x"})
    assert read(restricted) == []
    assert read(commented(adf("Internal"), jsdPublic=False)) == []


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_a_comment_mailroom_wrote_comes_back_as_mailroom_s(deployment: str) -> None:
    """The marker line of Mailroom's comments sets origin to mailroom."""
    jira = FakeJira(deployment)
    tracker = connect(jira)
    key = tracker.create_ticket(draft()).key
    tracker.add_comment(key, CommentDraft(correlation_id="m-3", body="Any news?"))
    stored = jira.issues[key]["comments"][0]["body"]
    (event,) = read(commented(stored), deployment)
    assert event.origin == "mailroom"
    assert "Any news?" in event.body and "mailroom ref" not in event.body


def test_wiki_markup_comments_are_read_as_their_text() -> None:
    """Data Center sends wiki strings; escapes are undone for the mail."""
    (event,) = read(commented("Use the \\*second\\* tray \\{A\\}"), "datacenter")
    assert event.body == "Use the *second* tray {A}"


def test_an_issue_opened_in_jira_becomes_a_created_event() -> None:
    """The reporter's address becomes the requester of the new mail."""
    fields = {"summary": "New laptop", "reporter": AGENT, "labels": []}
    payload = {"webhookEvent": "jira:issue_created", "timestamp": 1}
    (event,) = read(payload | {"issue": ISSUE | {"fields": fields}})
    assert (event.kind, event.event_id) == ("created", "created-10001")
    assert event.requester == Address(email="sam@example.org", name="Sam Agent")
    assert event.origin == "tool"


def test_an_issue_mailroom_opened_comes_back_as_mailroom_s() -> None:
    """Mailroom's correlation label marks issues it created from mail."""
    fields = {"summary": "s", "reporter": AGENT, "labels": ["mailroom-m-1"]}
    payload = {
        "webhookEvent": "jira:issue_created",
        "issue": ISSUE | {"fields": fields},
    }
    assert read(payload)[0].origin == "mailroom"


def test_a_status_change_becomes_a_status_event() -> None:
    """Only a changelog that moves the status makes an event."""
    change = {"field": "status", "fromString": "To Do", "toString": "Done"}
    payload = {"webhookEvent": "jira:issue_updated", "timestamp": 1716800000000}
    (event,) = read(payload | {"issue": ISSUE, "changelog": {"items": [change]}})
    assert (event.kind, event.status) == ("status", "Done")
    assert event.event_id == "status-10001-1716800000000"
    other = {"items": [{"field": "labels", "toString": "x"}]}
    assert read(payload | {"issue": ISSUE, "changelog": other}) == []


def test_events_of_other_projects_are_ignored() -> None:
    """A site-wide webhook carries other projects' issues too."""
    payload = commented(adf("hi")) | {"issue": ISSUE | {"key": "OPS-4"}}
    assert read(payload) == []


def test_a_signed_body_that_is_not_json_is_malformed() -> None:
    """Signed garbage is quarantined as malformed input, not crashed on."""
    with pytest.raises(MalformedInputError, match="not JSON"):
        read_webhook(section(), "jira", sign(b"<html>"), b"<html>")


def updated(stamp: Any, changelog_id: str | None = "10400") -> dict[str, Any]:
    """Return a jira:issue_updated payload that moves HELP-1 to Done."""
    change = {"field": "status", "fromString": "To Do", "toString": "Done"}
    changelog: dict[str, Any] = {"items": [change]}
    if changelog_id is not None:
        changelog["id"] = changelog_id
    payload = {"webhookEvent": "jira:issue_updated", "timestamp": stamp}
    return payload | {"issue": ISSUE, "changelog": changelog}


def test_a_status_event_is_named_by_its_changelog_and_dated() -> None:
    """Two changes in one millisecond are two events, each with its time."""
    (first,) = read(updated(1716800000000, "10400"))
    (second,) = read(updated(1716800000000, "10401"))
    assert (first.event_id, second.event_id) == (
        "status-changelog-10400",
        "status-changelog-10401",
    )
    assert first.changed_at == datetime(2024, 5, 27, 8, 53, 20, tzinfo=UTC)


def test_a_status_event_without_a_changelog_id_keeps_the_stamped_id() -> None:
    """Older payloads without changelog.id still get a distinct id."""
    (event,) = read(updated(1716800000000, None))
    assert event.event_id == "status-10001-1716800000000"


@pytest.mark.parametrize(
    "stamp", [None, "yesterday", True, 10**20], ids=["none", "text", "bool", "huge"]
)
def test_a_webhook_without_a_readable_stamp_is_refused(stamp: Any) -> None:
    """No stamp in milliseconds, no way to refuse a replay: refused."""
    payload = updated(stamp)
    if stamp is None:
        del payload["timestamp"]
    body = json.dumps(payload).encode()
    now = datetime(2024, 5, 27, 9, 0, tzinfo=UTC)
    with pytest.raises(WebhookRejectedError, match="no timestamp in milliseconds"):
        read_webhook(section(), "jira", sign(body), body, now)
