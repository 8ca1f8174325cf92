"""A work item's life in Azure DevOps: mail in, comments both ways, a crash."""

from __future__ import annotations

import importlib

import pytest

from adapters.trackers.azure_devops import AzureDevOpsTracker, read_webhook
from handlers.tool_webhooks import accept_tool_webhook
from mailroom.config import AzureDevOpsConfig
from mailroom.errors import RetryableError
from mailroom.models import CommentDraft, TicketDraft
from mailroom.tool_events import ToolEvent
from runtime.wiring import REMOTE_TRACKERS, build_tracker
from tests.adapters.trackers.contract import attachment
from tests.adapters.trackers.fake_azure_devops import (
    AGENT,
    FIELD_MAP,
    ORG,
    PROJECT,
    TOKEN,
    FakeAzureDevOps,
    connect,
    hook_headers,
    section,
    service_hook,
)
from tests.adapters.trackers.life import (
    ADA,
    acknowledgement,
    config_with,
    mail_draft,
    reply_all,
)


def draft() -> TicketDraft:
    """Return the draft of MAIL with three mapped fields, one invalid."""
    fields = {"severity": "2 - high", "priority": "Urgent", "requester": ADA.email}
    return mail_draft(fields)


def opened(fake: FakeAzureDevOps) -> tuple[AzureDevOpsTracker, str]:
    """Open MAIL's work item with two files, as the deliver stage would."""
    tracker = connect(fake)
    key = tracker.create_ticket(draft()).key
    for name, data in (("scan.log", b"log"), ("photo.png", b"png")):
        tracker.attach(key, attachment(name, data), data)
    return tracker, key


def commented(fake: FakeAzureDevOps, key: str, text: str) -> bytes:
    """Comment on `key` as an agent; return the service hook call about it."""
    item = int(key.removeprefix("AB#"))
    fake.add_tool_comment(item, text)
    fields = {"System.Title": fake.summary(key), "System.History": text}
    resource = {"id": item, "rev": 2, "fields": fields | {"System.ChangedBy": AGENT}}
    return service_hook("workitem.commented", resource)


def read(headers: dict[str, str], body: bytes) -> list[ToolEvent]:
    """Read a service hook call as the tool-events endpoint would."""
    return read_webhook(section(), "boards", headers, body)


def test_a_mail_opens_a_work_item_with_its_files_and_two_fields() -> None:
    """Both files are attached; the two values that fit are set."""
    fake = FakeAzureDevOps()
    _, key = opened(fake)
    assert [name for name, _ in fake.files(key)] == ["scan.log", "photo.png"]
    assert fake.field(key, "severity") == "2 - High"
    assert fake.field(key, "requester") == ADA.email
    assert fake.field(key, "priority") is None


def test_the_bad_value_is_reported_on_the_item_and_in_the_ack() -> None:
    """The refused priority is listed in the description and the ack."""
    fake = FakeAzureDevOps()
    tracker, _ = opened(fake)
    problems = tracker.check_fields(draft())
    assert [p.field for p in problems] == ["priority"]
    assert "priority = Urgent" in fake.items[1].fields["System.Description"]
    ref = tracker.find_by_correlation("m-1")
    assert ref is not None and "priority = Urgent" in acknowledgement(ref, problems)


def test_a_reply_mail_becomes_a_public_comment() -> None:
    """Ada's reply lands as a public comment naming her."""
    fake = FakeAzureDevOps()
    tracker, key = opened(fake)
    reply = CommentDraft(correlation_id="m-2", body="Still off.", author=ADA)
    tracker.add_comment(key, reply)
    [(text, public)] = fake.comments(key)
    assert public and "Ada Lindqvist" in text and "Still off." in text


def test_an_agent_comment_comes_back_as_a_reply_all_under_the_mail() -> None:
    """The service hook's comment becomes a reply-all with In-Reply-To."""
    fake = FakeAzureDevOps()
    tracker, key = opened(fake)
    body = commented(fake, key, "<p>Replaced the cable.</p>")
    [event] = read(hook_headers(), body)
    ref = tracker.find_by_correlation("m-1")
    assert ref is not None and event.ticket_key == ref.key == key
    assert event.body == "Replaced the cable."
    assert reply_all(event, ref) == ["ada@example.com", "bo@example.com"]


def test_a_forged_comment_hook_is_refused_and_nothing_is_queued() -> None:
    """Wrong hook credentials get 401; no event is queued, so no mail goes."""
    fake = FakeAzureDevOps()
    _, key = opened(fake)
    body = commented(fake, key, "<p>Wire the money.</p>")
    answer = accept_tool_webhook("boards", hook_headers(password="guess"), body, read)
    assert (answer.status, answer.enqueue) == (401, [])


def test_a_create_retried_after_a_crash_finds_the_work_item() -> None:
    """The answer to the create is lost; the retry finds, it does not double."""
    fake = FakeAzureDevOps()
    fake.lose_next_create = True
    with pytest.raises(RetryableError):
        connect(fake).create_ticket(draft())
    again = connect(fake)
    ref = again.find_by_correlation("m-1") or again.create_ticket(draft())
    assert list(fake.items) == [1] and ref.key == "AB#1"


def test_wiring_builds_the_adapter_and_reads_its_hooks() -> None:
    """runtime.wiring finds build_tracker and read_webhook in the module."""
    settings = {
        "kind": "azure_devops",
        "organization_url": ORG,
        "project": PROJECT,
        "personal_access_token": TOKEN,
        "field_map": FIELD_MAP,
        "hook_username": "mailroom",
        "hook_password": "hook-secret",
    }
    config = config_with("boards", settings)
    boards = config.trackers["boards"]
    assert isinstance(boards, AzureDevOpsConfig)
    assert isinstance(build_tracker("boards", boards, config), AzureDevOpsTracker)
    module = importlib.import_module(REMOTE_TRACKERS[boards.kind])
    body = service_hook("build.complete", {"id": 1})
    assert module.read_webhook(boards, "boards", hook_headers(), body) == []
