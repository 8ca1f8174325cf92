"""The Azure DevOps adapter passes the tracker contract, crashes and outages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mailroom.errors import RetryableError
from mailroom.models import CommentDraft
from tests.adapters.trackers.contract import (
    CONTRACT,
    TrackerUnderTest,
    draft,
)
from tests.adapters.trackers.fake_azure_devops import (
    ORG,
    TOKEN,
    FakeAzureDevOps,
    connect,
)
from tests.adapters.trackers.runners import (
    MAIL_TEXTS,
    deliver,
    event_recorded_twice,
    keys_through_outage,
    logs_of_a_ticket_life,
)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_azure_devops_contract(check: Callable[[TrackerUnderTest], None]) -> None:
    """Each contract check holds for Azure DevOps."""
    fake = FakeAzureDevOps()
    check(TrackerUnderTest(connect(fake), fake, "severity", "2 - High"))


def test_a_ticket_has_an_ab_key_and_the_web_url() -> None:
    """The key reads `AB#<id>` and the URL opens the work item's edit page."""
    ref = connect(FakeAzureDevOps()).create_ticket(draft("m-1"))
    assert ref.key == "AB#1"
    assert ref.url == f"{ORG}/Help%20Desk/_workitems/edit/1"


def test_a_work_item_is_created_with_a_json_patch_and_the_correlation_tag() -> None:
    """The create is a JSON Patch that tags the item with its correlation id."""
    fake = FakeAzureDevOps()
    connect(fake).create_ticket(draft("m-9"))
    create = next(r for r in fake.requests if r.url.path.endswith("/$Issue"))
    ops = {op["path"]: op["value"] for op in json.loads(create.content)}
    assert create.headers["Content-Type"] == "application/json-patch+json"
    assert ops["/fields/System.Tags"] == "mailroom-m-9"


def test_a_create_whose_answer_was_lost_is_found_on_retry() -> None:
    """A retried create after a lost answer finds the work item, no duplicate."""
    fake = FakeAzureDevOps()
    fake.lose_next_create = True
    tracker = connect(fake)
    with pytest.raises(RetryableError):
        tracker.create_ticket(draft("m-7"))
    assert deliver(tracker, "m-7").key == "AB#1"
    assert len(fake.items) == 1


def test_tickets_arrive_once_after_azure_devops_answered_503_for_a_while() -> None:
    """Three mails through a 503 spell give three work items, none doubled."""
    fake = FakeAzureDevOps()
    fake.unavailable = 7
    assert keys_through_outage(connect(fake)) == ["AB#1", "AB#2", "AB#3"]
    assert len(fake.items) == 3


def test_a_503_carries_its_retry_after_to_the_queue() -> None:
    """A 503 with Retry-After becomes a RetryableError that waits as asked."""
    fake = FakeAzureDevOps()
    fake.unavailable = 1
    with pytest.raises(RetryableError) as caught:
        connect(fake).find_by_correlation("m-1")
    assert caught.value.retry_after == 2.0


def test_a_comment_already_on_a_later_page_is_not_added_again() -> None:
    """Comments are read page by page when looking for the marker."""
    fake = FakeAzureDevOps()
    fake.comment_page = 2
    tracker = connect(fake)
    key = tracker.create_ticket(draft()).key
    comments = [CommentDraft(correlation_id=f"c-{n}", body="Ok") for n in range(5)]
    for comment in [*comments, comments[0]]:
        tracker.add_comment(key, comment)
    assert len(fake.comments(key)) == 5


def test_an_event_is_recorded_once_as_an_internal_note() -> None:
    """record_event adds one internal note per event and detail."""
    fake = FakeAzureDevOps()
    [(text, public)] = event_recorded_twice(connect(fake), fake)
    assert text.startswith("Internal note:") and not public


def test_the_logs_carry_no_mail_text_addresses_or_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A ticket's life logs ids and outcomes only."""
    logged = logs_of_a_ticket_life(lambda: connect(FakeAzureDevOps()), caplog)
    for leak in (*MAIL_TEXTS, TOKEN):
        assert leak not in logged
