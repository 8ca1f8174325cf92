"""A ticket's life in Jira: mail in, comments both ways, crash and retry."""

from __future__ import annotations

import importlib

import pytest

from adapters.trackers.jira import JiraTracker, WebhookRejectedError, read_webhook
from mailroom.config import JiraConfig
from mailroom.errors import RetryableError
from mailroom.models import CommentDraft, TicketDraft
from runtime.wiring import REMOTE_TRACKERS, build_tracker
from tests.adapters.trackers.contract import attachment
from tests.adapters.trackers.fake_jira import (
    FakeJira,
    JiraProbe,
    connect,
    section,
    settings,
    sign,
)
from tests.adapters.trackers.life import (
    ADA,
    config_with,
    mail_draft,
    reply_all,
)


def draft() -> TicketDraft:
    """Return the draft of MAIL with three mapped fields, one invalid."""
    return mail_draft({"severity": "High", "site": "Rome", "parts": "Printers"})


def opened(jira: FakeJira) -> tuple[JiraTracker, str]:
    """Open MAIL's issue with two files, as the deliver stage would."""
    tracker = connect(jira)
    key = tracker.create_ticket(draft()).key
    for name, data in (("scan.log", b"log"), ("photo.png", b"png")):
        tracker.attach(key, attachment(name, data), data)
    return tracker, key


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_a_mail_opens_an_issue_with_files_fields_and_the_bad_value_reported(
    deployment: str,
) -> None:
    """Two files, two fields set, the third reported in the description."""
    jira = FakeJira(deployment)
    tracker, key = opened(jira)
    probe = JiraProbe(jira, section().field_map)
    assert [name for name, _ in probe.files(key)] == ["scan.log", "photo.png"]
    assert (probe.field(key, "severity"), probe.field(key, "parts")) == (
        "High",
        "Printers",
    )
    assert probe.field(key, "site") is None
    assert [p.field for p in tracker.check_fields(draft())] == ["site"]


def test_a_reply_mail_becomes_a_public_comment() -> None:
    """Ada's reply lands as a public comment naming her."""
    jira = FakeJira()
    tracker, key = opened(jira)
    reply = CommentDraft(correlation_id="m-2", body="Still off.", author=ADA)
    tracker.add_comment(key, reply)
    [(text, public)] = JiraProbe(jira, {}).comments(key)
    assert public and "Ada Lindqvist <ada@example.com> wrote:" in text


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
def test_an_agent_comment_comes_back_as_a_reply_all_under_the_mail(
    deployment: str,
) -> None:
    """The signed comment webhook becomes a reply-all with In-Reply-To."""
    jira = FakeJira(deployment)
    tracker, key = opened(jira)
    body = jira.comment_as(key, "Replaced the cable.", "sam@example.org")
    [event] = read_webhook(section(deployment), "jira", sign(body), body)
    ref = tracker.find_by_correlation("m-1")
    assert ref is not None and event.body == "Replaced the cable."
    assert reply_all(event, ref) == ["ada@example.com", "bo@example.com"]


def test_a_forged_comment_webhook_sends_nothing() -> None:
    """A body signed with another secret is refused before it is read."""
    jira = FakeJira()
    _, key = opened(jira)
    body = jira.comment_as(key, "Wire the money.", "eve@example.net")
    with pytest.raises(WebhookRejectedError, match="does not match"):
        read_webhook(section(), "jira", sign(body, "guessed"), body)


def test_a_create_retried_after_a_crash_finds_the_issue() -> None:
    """The answer to the create is lost; the retry finds, it does not double."""
    jira = FakeJira()
    jira.lose_answers = 1
    with pytest.raises(RetryableError):
        connect(jira).create_ticket(draft())
    again = connect(jira)
    ref = again.find_by_correlation("m-1") or again.create_ticket(draft())
    assert list(jira.issues) == [ref.key]


def test_wiring_builds_the_adapter_and_reads_its_webhooks() -> None:
    """runtime.wiring finds build_tracker and read_webhook in the module."""
    config = config_with("jira", settings())
    jira = config.trackers["jira"]
    assert isinstance(jira, JiraConfig)
    assert isinstance(build_tracker("jira", jira, config), JiraTracker)
    module = importlib.import_module(REMOTE_TRACKERS[jira.kind])
    body = b"{}"
    assert module.read_webhook(jira, "jira", sign(body), body) == []
