"""A work item's life in EWM: mail in, comments both ways, a crash."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest

from adapters.trackers.ewm import EwmTracker, read_webhook
from handlers.tool_webhooks import accept_tool_webhook
from mailroom.config import EwmConfig
from mailroom.errors import RetryableError
from mailroom.models import CommentDraft, TicketDraft
from mailroom.tool_events import ToolEvent
from runtime.wiring import REMOTE_TRACKERS, build_tracker
from tests.adapters.trackers.contract import attachment
from tests.adapters.trackers.fake_ewm import (
    BASE,
    FIELD_MAP,
    PASSWORD,
    SECRET,
    USER,
    FakeEwm,
    connect,
    notification,
    section,
    signed,
)
from tests.adapters.trackers.life import (
    ADA,
    acknowledgement,
    config_with,
    mail_draft,
    reply_all,
)

NOW = datetime(2024, 5, 2, 9, 10, tzinfo=UTC)
MAPPED = FIELD_MAP | {"customer": "rtc_ext:customer"}
BEN = {"foaf:name": "Ben Okafor", "foaf:mbox": "mailto:ben.okafor@example.com"}


def draft() -> TicketDraft:
    """Return the draft of MAIL with three mapped fields, one invalid."""
    fields = {"severity": "major", "priority": "Urgent", "customer": "Contoso"}
    return mail_draft(fields)


def opened(fake: FakeEwm) -> tuple[EwmTracker, str]:
    """Open MAIL's work item with two files, as the deliver stage would."""
    tracker = connect(fake, field_map=MAPPED)
    key = tracker.create_ticket(draft()).key
    for name, data in (("scan.log", b"log"), ("photo.png", b"png")):
        tracker.attach(key, attachment(name, data), data)
    return tracker, key


def commented(fake: FakeEwm, key: str, text: str) -> bytes:
    """Comment on `key` as an agent; return the relay's notification of it."""
    item = int(key.removeprefix("EWM-"))
    fake.add_tool_comment(fake.items[item], text)
    comment = {"dcterms:description": text, "dcterms:creator": BEN}
    return notification("comment", item, comment=comment)


def read(headers: dict[str, str], body: bytes) -> list[ToolEvent]:
    """Read a notification as the tool-events endpoint would, at NOW."""
    return read_webhook(section(), "ewm", headers, body, NOW)


def test_a_mail_opens_a_work_item_with_its_files_and_two_fields() -> None:
    """Both files are attached; the two values that fit are set."""
    fake = FakeEwm()
    _, key = opened(fake)
    assert [name for name, _ in fake.files(key)] == ["scan.log", "photo.png"]
    assert fake.field(key, "severity") == "Major"
    assert fake.items[1].resource["rtc_ext:customer"] == "Contoso"
    assert fake.field(key, "priority") is None


def test_the_bad_value_is_reported_on_the_item_and_in_the_ack() -> None:
    """The refused priority is listed in the description and the ack."""
    fake = FakeEwm()
    tracker, _ = opened(fake)
    problems = tracker.check_fields(draft())
    assert [p.field for p in problems] == ["priority"]
    assert "priority = Urgent" in fake.items[1].resource["dcterms:description"]
    ref = tracker.find_by_correlation("m-1")
    assert ref is not None and "priority = Urgent" in acknowledgement(ref, problems)


def test_a_reply_mail_becomes_a_public_comment() -> None:
    """Ada's reply lands as a public comment naming her."""
    fake = FakeEwm()
    tracker, key = opened(fake)
    reply = CommentDraft(correlation_id="m-2", body="Still off.", author=ADA)
    tracker.add_comment(key, reply)
    [(text, public)] = fake.comments(key)
    assert public and "Ada Lindqvist" in text and "Still off." in text


def test_an_agent_comment_comes_back_as_a_reply_all_under_the_mail() -> None:
    """The relay's signed comment becomes a reply-all with In-Reply-To."""
    fake = FakeEwm()
    tracker, key = opened(fake)
    body = commented(fake, key, "<p>Replaced the cable.</p>")
    [event] = read(signed(body, NOW), body)
    ref = tracker.find_by_correlation("m-1")
    assert ref is not None and event.ticket_key == ref.key == key
    assert event.body == "Replaced the cable."
    assert reply_all(event, ref) == ["ada@example.com", "bo@example.com"]


def test_a_forged_notification_is_refused_and_nothing_is_queued() -> None:
    """A body signed with another secret gets 401; no mail can follow."""
    fake = FakeEwm()
    _, key = opened(fake)
    body = commented(fake, key, "<p>Wire the money.</p>")
    answer = accept_tool_webhook("ewm", signed(body, NOW, "guessed"), body, read)
    assert (answer.status, answer.enqueue) == (401, [])


def test_a_create_retried_after_a_crash_finds_the_work_item() -> None:
    """The answer to the create is lost; the retry finds, it does not double."""
    fake = FakeEwm()
    fake.lose_next_create = True
    with pytest.raises(RetryableError):
        connect(fake, field_map=MAPPED).create_ticket(draft())
    again = connect(fake, field_map=MAPPED)
    ref = again.find_by_correlation("m-1") or again.create_ticket(draft())
    assert list(fake.items) == [1] and ref.key == "EWM-1"


def test_wiring_builds_the_adapter_and_reads_its_notifications() -> None:
    """runtime.wiring finds build_tracker and read_webhook in the module."""
    settings = {
        "kind": "ewm",
        "base_url": BASE,
        "project_area": "Help Desk",
        "username": USER,
        "password": PASSWORD,
        "notification_secret": SECRET,
        "field_map": MAPPED,
    }
    config = config_with("ewm", settings)
    ewm = config.trackers["ewm"]
    assert isinstance(ewm, EwmConfig)
    assert isinstance(build_tracker("ewm", ewm, config), EwmTracker)
    module = importlib.import_module(REMOTE_TRACKERS[ewm.kind])
    body = notification("approval", 4)
    assert module.read_webhook(ewm, "ewm", signed(body, NOW), body, NOW) == []
