"""A ticket's life in ServiceNow: mail in, comments both ways, crash and retry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.trackers.servicenow import ServiceNowTracker, read_webhook
from mailroom.config import ServiceNowConfig
from mailroom.errors import RetryableError
from mailroom.models import CommentDraft, TicketDraft
from mailroom.tool_replies import compose_comment_reply
from runtime.wiring import build_tracker
from tests.adapters.trackers.contract import attachment
from tests.adapters.trackers.fake_servicenow import (
    FakeServiceNow,
    section,
    settings,
    signed,
    tracker,
)
from tests.adapters.trackers.life import (
    ADA,
    MAIL,
    MARKER,
    config_with,
    mail_draft,
    reply_all,
)

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def draft() -> TicketDraft:
    """Return the draft of MAIL with three mapped fields, one invalid."""
    return mail_draft({"urgency": "High", "impact": "Huge", "category": "network"})


def opened(fake: FakeServiceNow) -> tuple[ServiceNowTracker, str]:
    """Open MAIL's record with two files, as the deliver stage would."""
    fake.add_user(ADA.email)
    snow = tracker(fake)
    key = snow.create_ticket(draft()).key
    for name, data in (("scan.log", b"log"), ("photo.png", b"png")):
        snow.attach(key, attachment(name, data), data)
    return snow, key


def test_a_mail_opens_a_record_with_files_fields_and_the_bad_value_reported() -> None:
    """Two files, two fields set, the third reported, Ada as the caller."""
    fake = FakeServiceNow()
    snow, key = opened(fake)
    row = fake.record("incident", key)
    assert [f["file_name"] for f in fake.files] == ["scan.log", "photo.png"]
    assert (row["urgency"], row["impact"], row["category"]) == ("1", "", "network")
    assert "impact = Huge" in row["description"] and row["caller_id"]
    assert [p.field for p in snow.check_fields(draft())] == ["impact"]


def test_a_reply_mail_becomes_a_public_comment() -> None:
    """Ada's reply lands in the comments journal with its mark."""
    fake = FakeServiceNow()
    snow, key = opened(fake)
    snow.add_comment(
        key, CommentDraft(correlation_id="m-2", body="Still off.", author=ADA)
    )
    [entry] = fake.journal(fake.record("incident", key)["sys_id"])
    assert entry["element"] == "comments" and "Still off." in entry["value"]


def test_an_agent_comment_comes_back_as_a_reply_all_under_the_mail() -> None:
    """The business rule's message becomes a reply-all with In-Reply-To."""
    fake = FakeServiceNow()
    snow, key = opened(fake)
    entry = fake.comment_as("incident", key, "Replaced the cable.")
    body = fake.rule_body("incident", key, entry)
    [event] = read_webhook(section(), "snow", *signed(body, NOW), NOW)
    ref = snow.find_by_correlation("m-1")
    assert ref is not None
    assert reply_all(event, ref) == ["ada@example.com", "bo@example.com"]


def test_mailroom_comment_echoed_by_the_rule_is_not_mailed() -> None:
    """A comment Mailroom wrote comes back marked and is not mailed again."""
    fake = FakeServiceNow()
    snow, key = opened(fake)
    snow.add_comment(key, CommentDraft(correlation_id="m-2", body="Still off."))
    [entry] = fake.journal(fake.record("incident", key)["sys_id"])
    body = fake.rule_body("incident", key, entry)
    [event] = read_webhook(section(), "snow", *signed(body, NOW), NOW)
    ref = snow.find_by_correlation("m-1")
    assert ref is not None and event.origin == "mailroom"
    assert (
        compose_comment_reply(event, MAIL, ref, "reply_all", [], "<r>", MARKER) is None
    )


def test_a_create_retried_after_a_crash_finds_the_record() -> None:
    """The answer to the create is lost; the retry finds, it does not double."""
    fake = FakeServiceNow()
    fake.lost = 1
    with pytest.raises(RetryableError):
        tracker(fake).create_ticket(draft())
    again = tracker(fake)
    ref = again.find_by_correlation("m-1") or again.create_ticket(draft())
    assert [row["number"] for row in fake.rows["incident"]] == [ref.key]


def test_wiring_builds_the_adapter_and_reads_its_webhooks() -> None:
    """runtime.wiring finds build_tracker and read_webhook in the module."""
    config = config_with("snow", settings())
    snow = config.trackers["snow"]
    headers, body = signed(b'{"event": "status", "number": "INC1", "sys_id": "1"}', NOW)
    assert isinstance(snow, ServiceNowConfig)
    assert isinstance(build_tracker("snow", snow, config), ServiceNowTracker)
    assert read_webhook(snow, "snow", headers, body, NOW)[0].kind == "status"
