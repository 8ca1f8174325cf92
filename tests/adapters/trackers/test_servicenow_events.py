"""ServiceNow's outbound REST messages become tool events, if signed and fresh."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.trackers.servicenow_events import (
    BUSINESS_RULE_SCRIPT,
    WebhookRejectedError,
    read_webhook,
)
from mailroom.errors import MalformedInputError
from tests.adapters.trackers.fake_servicenow import SECRET, section
from tests.adapters.trackers.fake_servicenow import signed as signed_body

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
COMMENT = {
    "number": "INC0010001",
    "sys_id": "9" * 32,
    "event": "comment",
    "comment": "The scanner is back.",
    "author_email": "agent@example.com",
    "requester_email": "ada@example.com",
    "short_description": "Scanner offline",
    "state": "2",
    "sys_updated_on": "2024-05-01 09:29:58",
    "journal_sys_id": "j" * 32,
}


def signed(
    payload: Any, at: datetime = NOW, secret: str = SECRET, hexed: bool = False
) -> tuple[dict[str, str], bytes]:
    """Return the headers and body the business rule would send."""
    return signed_body(json.dumps(payload).encode(), at, secret, hexed)


def read(headers: dict[str, str], body: bytes, **overrides: Any) -> list[Any]:
    """Read a request for the tool named "snow"."""
    return read_webhook(section(**overrides), "snow", headers, body, NOW)


def test_a_signed_comment_becomes_a_public_comment_event() -> None:
    """A comment carries its text, author, key and journal id."""
    [event] = read(*signed(COMMENT))
    assert (event.tool, event.kind, event.ticket_key) == (
        "snow",
        "comment",
        "INC0010001",
    )
    assert event.event_id == "j" * 32 and event.public and event.origin == "tool"
    assert event.author is not None and event.author.email == "agent@example.com"
    assert event.body == "The scanner is back."


def test_a_new_record_names_its_requester_and_summary() -> None:
    """A record opened in ServiceNow asks for a new mail to its caller."""
    created = COMMENT | {"event": "created", "comment": "", "journal_sys_id": ""}
    [event] = read(*signed(created))
    assert event.kind == "created" and event.event_id == f"{'9' * 32}:created"
    assert event.requester is not None and event.requester.email == "ada@example.com"
    assert event.summary == "Scanner offline" and event.status is None


def test_a_state_change_carries_the_state() -> None:
    """A status event holds the new state and a per-change id."""
    [event] = read(*signed(COMMENT | {"event": "status", "comment": ""}))
    assert (event.kind, event.status) == ("status", "2")
    assert event.event_id.endswith(":status:2:2024-05-01 09:29:58")
    assert event.changed_at == datetime(2024, 5, 1, 9, 29, 58, tzinfo=UTC)


def test_two_updates_in_one_second_are_two_status_events() -> None:
    """sys_mod_count, where the rule sends it, tells such updates apart."""
    status = COMMENT | {"event": "status", "comment": ""}
    [first] = read(*signed(status | {"sys_mod_count": "7"}))
    [second] = read(*signed(status | {"sys_mod_count": "8"}))
    assert first.event_id.endswith(":status:2:7")
    assert second.event_id.endswith(":status:2:8")


def test_a_change_without_sys_updated_on_is_dated_by_its_signature() -> None:
    """The signed send time orders a change the record did not date."""
    status = COMMENT | {"event": "status", "sys_updated_on": "soon"}
    [event] = read(*signed(status, NOW - timedelta(seconds=30)))
    assert event.changed_at == NOW - timedelta(seconds=30)


def test_a_hex_signature_and_any_header_case_are_accepted() -> None:
    """Signatures made with other tools (hex) and lower-case headers pass."""
    headers, body = signed(COMMENT, hexed=True)
    lowered = {name.lower(): value for name, value in headers.items()}
    assert len(read(lowered, body)) == 1


def test_mailroom_own_comments_and_records_are_marked_as_ours() -> None:
    """Entries with Mailroom's mark, and records it opened, have origin mailroom."""
    ours = COMMENT | {"comment": "Thanks.\n\n[mailroom:m-1]"}
    opened = COMMENT | {"event": "created", "correlation_display": "Mailroom"}
    events = read(*signed([ours, opened]))
    assert [event.origin for event in events] == ["mailroom", "mailroom"]


def test_a_forged_signature_is_refused() -> None:
    """A body signed with another secret is rejected."""
    with pytest.raises(WebhookRejectedError, match="signature does not match"):
        read(*signed(COMMENT, secret="guessed"))


def test_an_unsigned_request_is_refused() -> None:
    """Without the signature and time headers nothing is read."""
    _, body = signed(COMMENT)
    with pytest.raises(WebhookRejectedError, match="no signature"):
        read({"Content-Type": "application/json"}, body)


@pytest.mark.parametrize("minutes", [-6, 6])
def test_a_request_more_than_five_minutes_off_is_refused(minutes: int) -> None:
    """Old (replayed) and future time stamps are refused."""
    with pytest.raises(WebhookRejectedError, match="more than 5 minutes"):
        read(*signed(COMMENT, at=NOW + timedelta(minutes=minutes)))


def test_a_replay_with_a_fresh_time_stamp_is_refused() -> None:
    """The time stamp is signed, so changing it breaks the signature."""
    headers, body = signed(COMMENT, at=NOW - timedelta(minutes=10))
    headers["X-Mailroom-Timestamp"] = str(int(NOW.timestamp()))
    with pytest.raises(WebhookRejectedError, match="signature"):
        read(headers, body)


def test_without_a_shared_secret_everything_is_refused() -> None:
    """A tool with no shared_secret accepts no events and says which key."""
    with pytest.raises(WebhookRejectedError, match=r"trackers\.snow\.shared_secret"):
        read(*signed(COMMENT), shared_secret=None)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1]",
        json.dumps(COMMENT | {"event": "deleted"}).encode(),
        json.dumps({"event": "comment"}).encode(),
    ],
)
def test_a_signed_but_unreadable_event_is_malformed(body: bytes) -> None:
    """Signed bodies that are not events are malformed input, not rejections."""
    with pytest.raises(MalformedInputError, match=r"update the business rule"):
        read(*signed_body(body, NOW))


def test_a_rejection_logs_the_reason_and_no_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The log names why, never the comment, the addresses or the secret."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(WebhookRejectedError):
        read(*signed(COMMENT, secret="guessed"))
    assert [r.getMessage() for r in caplog.records] == ["servicenow.webhook_rejected"]
    for private in ("scanner", "agent@example.com", SECRET):
        assert private not in caplog.text.lower()


def test_the_business_rule_signs_what_read_webhook_checks() -> None:
    """The documented script sends the headers and signs time stamp and body."""
    for part in (
        "X-Mailroom-Timestamp",
        "X-Mailroom-Signature', 'sha256=' + mac",
        "'HmacSHA256', timestamp + '.' + body",
        "executeAsync()",
    ):
        assert part in BUSINESS_RULE_SCRIPT
