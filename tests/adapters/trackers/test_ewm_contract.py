"""The EWM adapter passes the tracker contract, crashes and outages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mailroom.errors import RetryableError
from mailroom.models import CommentDraft
from tests.adapters.trackers.contract import (
    CONTRACT,
    TrackerUnderTest,
    attachment,
    draft,
)
from tests.adapters.trackers.fake_ewm import (
    BASE,
    FACTORY,
    PASSWORD,
    FakeEwm,
    connect,
)
from tests.adapters.trackers.runners import (
    MAIL_TEXTS,
    deliver,
    event_recorded_twice,
    keys_through_outage,
    logs_of_a_ticket_life,
)


@pytest.mark.parametrize("auth", ["form", "basic"])
@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_ewm_contract(check: Callable[[TrackerUnderTest], None], auth: str) -> None:
    """Each contract check holds for EWM, signed in by form or by basic."""
    fake = FakeEwm(auth)
    check(TrackerUnderTest(connect(fake), fake, "severity", "Major", 250))


def test_a_ticket_has_an_ewm_key_and_the_resource_url() -> None:
    """The key reads `EWM-<id>`; the URL is the work item's resource."""
    ref = connect(FakeEwm()).create_ticket(draft("m-1"))
    assert ref.key == "EWM-1"
    assert ref.url == f"{BASE}/resource/itemName/com.ibm.team.workitem.WorkItem/1"


def test_a_change_request_goes_to_the_default_factory_as_oslc_json() -> None:
    """The create posts OSLC JSON with the correlation tag to the factory."""
    fake = FakeEwm()
    connect(fake).create_ticket(draft("m-9"))
    create = next(r for r in fake.requests if r.method == "POST" and r.url == FACTORY)
    body = json.loads(create.content)
    assert create.headers["OSLC-Core-Version"] == "2.0"
    assert body["dcterms:subject"] == "mailroom-m-9" and "dcterms:title" in body


def test_a_create_whose_answer_was_lost_is_found_on_retry() -> None:
    """A retried create after a lost answer finds the work item, no duplicate."""
    fake = FakeEwm()
    fake.lose_next_create = True
    tracker = connect(fake)
    with pytest.raises(RetryableError):
        tracker.create_ticket(draft("m-7"))
    assert deliver(tracker, "m-7").key == "EWM-1"
    assert len(fake.items) == 1


def test_tickets_arrive_once_after_ewm_answered_503_for_a_while() -> None:
    """Three mails through a 503 spell give three work items, none doubled."""
    fake = FakeEwm()
    fake.unavailable = 9
    assert keys_through_outage(connect(fake)) == ["EWM-1", "EWM-2", "EWM-3"]
    assert len(fake.items) == 3


def test_a_comment_goes_to_the_comment_factory_where_the_collection_refuses() -> None:
    """A 405 from the comments collection sends the comment to oslc:comment."""
    fake = FakeEwm()
    fake.comments_need_factory = True
    tracker = connect(fake)
    key = tracker.create_ticket(draft()).key
    tracker.add_comment(key, CommentDraft(correlation_id="c-1", body="Rebooted."))
    [(text, public)] = fake.comments(key)
    assert text.startswith("Rebooted.") and public


def test_a_file_is_uploaded_to_the_project_area_and_linked() -> None:
    """The upload names the project area; the link is a partial update."""
    fake = FakeEwm()
    tracker = connect(fake)
    key = tracker.create_ticket(draft()).key
    tracker.attach(key, attachment("log.txt", b"boot"), b"boot")
    put = next(r for r in fake.requests if r.method == "PUT")
    assert put.url.params["oslc.properties"].endswith("attachment.attachment")
    assert put.headers["If-Match"] == '"1"'


def test_an_event_is_recorded_once_as_an_internal_note() -> None:
    """record_event adds one internal note per event and detail."""
    fake = FakeEwm()
    [(text, public)] = event_recorded_twice(connect(fake), fake)
    assert text.startswith("Internal note:") and not public


def test_the_logs_carry_no_mail_text_addresses_or_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A ticket's life logs ids and outcomes only."""
    logged = logs_of_a_ticket_life(lambda: connect(FakeEwm()), caplog)
    for leak in (*MAIL_TEXTS, PASSWORD):
        assert leak not in logged
