"""Jira's failures become retryable or permanent errors that say what to fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapters.trackers.jira import JiraTracker, build_tracker
from mailroom.errors import ConfigurationError, PermanentError, RetryableError
from mailroom.models import CommentDraft, TicketDraft, TicketRef
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_jira import BASE, FakeJira, connect, section

Handler = Callable[[httpx.Request], httpx.Response]


def answering(handler: Handler, deployment: str = "cloud") -> JiraTracker:
    """Return a tracker whose every request gets `handler`'s answer."""
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return build_tracker("jira", section(deployment), http=http)


def fixed(status: int, headers: dict[str, str], body: Any) -> Handler:
    """Return a handler answering `status` to everything."""
    return lambda request: httpx.Response(status, headers=headers, json=body)


def deliver(tracker: JiraTracker, ticket: TicketDraft) -> TicketRef:
    """Do what the deliver stage does on each try: find, else create."""
    return tracker.find_by_correlation(ticket.correlation_id) or tracker.create_ticket(
        ticket
    )


def until_done(tracker: JiraTracker, ticket: TicketDraft) -> tuple[TicketRef, int]:
    """Retry a delivery the way the queue does, counting the tries."""
    for tries in range(1, 50):
        try:
            return deliver(tracker, ticket), tries
        except RetryableError:
            continue
    raise AssertionError("the delivery never finished")


REFUSED = {"errors": {"priority": "Option 'Urgent' is not valid"}, "errorMessages": []}


@pytest.mark.parametrize(
    ("status", "headers", "body", "error", "says"),
    [
        (400, {}, REFUSED, PermanentError, "fields rejected: priority"),
        (
            401,
            {},
            {},
            PermanentError,
            "set trackers.jira.email and trackers.jira.api_token to a valid",
        ),
        (403, {}, {}, PermanentError, "'Browse projects' permission in project HELP"),
        (
            404,
            {},
            {},
            PermanentError,
            "set trackers.jira.project (HELP) to an existing",
        ),
        (429, {"Retry-After": "17"}, {}, RetryableError, "is throttling Mailroom"),
        (500, {}, {}, RetryableError, "answered 500"),
        (503, {"Retry-After": "5"}, {}, RetryableError, "answered 503"),
    ],
)
def test_each_answer_maps_to_its_error(
    status: int, headers: dict[str, str], body: Any, error: type, says: str
) -> None:
    """Throttling and 5xx are retryable; the rest name the setting to fix."""
    with pytest.raises(error) as caught:
        answering(fixed(status, headers, body)).find_by_correlation("m-1")
    assert type(caught.value) is error
    assert says in str(caught.value) and "Jira (trackers.jira)" in str(caught.value)


@pytest.mark.parametrize(("status", "wait"), [(429, 17.0), (503, 5.0), (500, None)])
def test_retry_after_is_passed_on_in_seconds(status: int, wait: float | None) -> None:
    """Jira's Retry-After tells the queue how long to wait."""
    headers = {"Retry-After": str(int(wait))} if wait else {}
    with pytest.raises(RetryableError) as caught:
        answering(fixed(status, headers, {})).find_by_correlation("m-1")
    assert caught.value.retry_after == wait


@pytest.mark.parametrize("failure", [httpx.ReadTimeout, httpx.ConnectError])
def test_timeouts_and_broken_connections_are_retryable(failure: type) -> None:
    """A Jira that does not answer is tried again later."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise failure("no answer", request=request)

    with pytest.raises(RetryableError, match=r"trackers\.jira"):
        answering(broken).find_by_correlation("m-1")


def test_a_refusal_names_fields_but_never_values_urls_or_secrets() -> None:
    """Field names are given; Jira's sentences, which may quote values, are not."""
    body = REFUSED | {"errorMessages": ["Value 'Ada's secret' is not valid"]}
    with pytest.raises(PermanentError) as caught:
        answering(fixed(400, {}, body)).create_ticket(draft())
    message = str(caught.value)
    assert "fields rejected: priority; 1 general message(s)" in message
    for leak in ("Urgent", "secret", "token-cloud", BASE, "ada.lindqvist"):
        assert leak not in message


def test_data_center_credentials_name_the_personal_access_token() -> None:
    """A refused PAT points at the PAT setting, not at the Cloud token."""
    with pytest.raises(PermanentError, match=r"trackers\.jira\.personal_access_token"):
        answering(fixed(401, {}, {}), "datacenter").find_by_correlation("m-1")


@pytest.mark.parametrize(
    ("deployment", "setting"),
    [("cloud", "api_token"), ("datacenter", "personal_access_token")],
)
def test_missing_credentials_fail_when_the_tracker_is_built(
    deployment: str, setting: str
) -> None:
    """A tracker without credentials is a configuration error at start-up."""
    with pytest.raises(ConfigurationError, match=rf"trackers\.jira\.{setting}"):
        build_tracker("jira", section(deployment, **{setting: None}))


def test_a_retried_create_after_a_crash_finds_the_issue() -> None:
    """The create succeeded, the process died; the next try finds the issue."""
    jira = FakeJira()
    opened = connect(jira).create_ticket(draft("m-9"))
    again = deliver(connect(jira), draft("m-9"))
    assert again == opened
    assert len(jira.issues) == 1


def test_a_create_whose_answer_was_lost_is_found_on_the_retry() -> None:
    """Jira made the issue but answered 503: the retry finds it by its label."""
    jira = FakeJira("datacenter")
    jira.lose_answers = 1
    with pytest.raises(RetryableError):
        deliver(connect(jira), draft("m-9"))
    ref = deliver(connect(jira), draft("m-9"))
    assert list(jira.issues) == [ref.key]


def test_a_create_with_an_unknown_outcome_waits_for_the_search_index() -> None:
    """Cloud's search is eventually consistent: the retry comes 30 s later."""
    jira = FakeJira()
    jira.lose_answers = 1
    with pytest.raises(RetryableError) as caught:
        connect(jira).create_ticket(draft())
    assert caught.value.retry_after == 30.0


def test_jira_answering_503_for_a_while_loses_and_doubles_nothing() -> None:
    """Every mail arrives once, however many tries the outage costs."""
    jira, tracker = FakeJira(), None
    jira.fail_next(4, wait="1")
    tracker = connect(jira)
    first, tries = until_done(tracker, draft("m-1", severity="High"))
    jira.fail_next(2)
    second, _ = until_done(tracker, draft("m-2"))
    assert tries == 5
    assert sorted(jira.issues) == [first.key, second.key] == ["HELP-1", "HELP-2"]


def test_a_missing_issue_is_named_not_the_project() -> None:
    """A 404 on an issue says the issue is gone, not that the setting is wrong."""
    comment = CommentDraft(correlation_id="m-1", body="Hello")
    with pytest.raises(PermanentError, match="no such issue to read an issue"):
        connect(FakeJira()).add_comment("HELP-99", comment)
