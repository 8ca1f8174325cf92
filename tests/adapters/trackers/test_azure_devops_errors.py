"""Azure DevOps failures become retryable or permanent errors that say the fix."""

from __future__ import annotations

import httpx
import pytest

from adapters.trackers.http_errors import retry_after
from mailroom.errors import MailroomError, PermanentError, RetryableError
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_azure_devops import TOKEN, FakeAzureDevOps, connect
from tests.adapters.trackers.runners import raised_by

TABLE = [
    (400, {}, PermanentError, "field_map"),
    (401, {}, PermanentError, "personal_access_token"),
    (203, {}, PermanentError, "personal_access_token"),
    (403, {}, PermanentError, "scope"),
    (404, {}, PermanentError, "trackers.boards.project"),
    (429, {"Retry-After": "7"}, RetryableError, "usually passes"),
    (500, {}, RetryableError, "usually passes"),
    (503, {}, RetryableError, "usually passes"),
]


@pytest.mark.parametrize(("status", "headers", "error", "fix"), TABLE)
def test_each_status_maps_to_its_error_and_fix(
    status: int, headers: dict[str, str], error: type[MailroomError], fix: str
) -> None:
    """Each answer maps to its error kind, naming the tool and the fix."""
    fake = FakeAzureDevOps()
    fake.answer_all = httpx.Response(status, headers=headers, json={"message": "x"})
    message = str(raised_by(lambda: connect(fake).create_ticket(draft()), error))
    assert "Azure DevOps" in message and "'boards'" in message and fix in message


def test_a_429_waits_as_long_as_retry_after_says() -> None:
    """Throttling carries its Retry-After seconds to the queue."""
    fake = FakeAzureDevOps()
    fake.answer_all = httpx.Response(429, headers={"Retry-After": "7"})
    lookup = connect(fake).find_by_correlation
    assert raised_by(lambda: lookup("m-1"), RetryableError).retry_after == 7.0


def test_a_time_out_is_retryable() -> None:
    """A request that times out is tried again later."""
    fake = FakeAzureDevOps()
    fake.silent = True
    with pytest.raises(RetryableError, match="did not answer in time"):
        connect(fake).find_by_correlation("m-1")


def test_a_refusal_quotes_neither_the_token_nor_the_body() -> None:
    """Messages carry no secret and no text from the answer."""
    fake = FakeAzureDevOps()
    body = {"message": "TF401320: Rule Error for field Severity: Ada's secret"}
    fake.answer_all = httpx.Response(400, json=body)
    with pytest.raises(PermanentError) as caught:
        connect(fake).create_ticket(draft(severity="2 - High"))
    assert TOKEN not in str(caught.value) and "secret" not in str(caught.value)


def test_retry_after_reads_an_http_date() -> None:
    """A Retry-After date in the past means no wait."""
    answer = httpx.Response(
        503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    assert retry_after(answer) == 0.0
