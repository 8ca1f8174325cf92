"""ServiceNow's failures leave the adapter as retryable or permanent errors."""

from __future__ import annotations

import logging

import httpx
import pytest

from adapters.trackers.servicenow import ServiceNowTracker
from mailroom.errors import PermanentError, RetryableError
from mailroom.models import Address, TicketDraft
from tests.adapters.trackers.fake_servicenow import (
    PASSWORD,
    FakeServiceNow,
    section,
    tracker,
)

SUBJECT = "Payroll file for Q3 is corrupt"
DRAFT = TicketDraft(
    correlation_id="m-1",
    summary=SUBJECT,
    description="The attached payroll file cannot be opened.",
    requester=Address(email="ada@example.com"),
    fields={"urgency": "1"},
)
PLAIN = TicketDraft(correlation_id="m-1", summary="Printer", description="Jams.")
NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "kind", "words", "wait"),
    [
        (429, {"Retry-After": "30"}, RetryableError, "429", 30.0),
        (
            429,
            {"X-RateLimit-Reset": str(int(NOW) + 90)},
            RetryableError,
            "retried",
            90.0,
        ),
        (503, {}, RetryableError, "will be retried", None),
        (500, {"Retry-After": "5"}, RetryableError, "500", 5.0),
        (401, {}, PermanentError, "trackers.snow.username and trackers.snow", None),
        (403, {}, PermanentError, "roles for table 'incident'", None),
        (400, {}, PermanentError, "trackers.snow.field_map", None),
        (404, {}, PermanentError, "Fix trackers.snow.table", None),
        (409, {}, PermanentError, "rejected", None),
    ],
)
def test_each_status_becomes_the_right_error(
    status: int,
    headers: dict[str, str],
    kind: type[Exception],
    words: str,
    wait: float | None,
) -> None:
    """A create that ServiceNow refuses raises the error its status calls for."""
    fake = FakeServiceNow()
    fake.fail(status, headers=headers)
    snow = ServiceNowTracker("snow", section(), fake.client(), clock=lambda: NOW)
    with pytest.raises(kind, match=words) as caught:
        snow.create_ticket(PLAIN)
    assert getattr(caught.value, "retry_after", None) == wait


def test_wrong_credentials_name_the_settings_to_fix() -> None:
    """A 401 from the instance itself names username and password."""
    fake = FakeServiceNow()
    fake.authorization = "Basic other"
    with pytest.raises(PermanentError, match="credentials were refused"):
        tracker(fake).find_by_correlation("m-1")


def test_an_unreadable_system_table_asks_for_read_access() -> None:
    """A 403 on sys_choice names the account, not the table setting."""
    fake = FakeServiceNow()
    fake.fail(403)
    with pytest.raises(PermanentError, match="roles for table 'sys_choice'"):
        tracker(fake).check_fields(DRAFT)


def test_an_unknown_table_names_the_table_setting() -> None:
    """ServiceNow's 400 "Invalid table" points at trackers.<name>.table."""
    with pytest.raises(PermanentError, match=r"table 'u_missing' does not exist"):
        tracker(FakeServiceNow(), table="u_missing").find_by_correlation("m-1")


def test_a_gone_record_is_named_by_its_number() -> None:
    """A 404 on a record's update names the record, not the table."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    key = snow.create_ticket(DRAFT).key
    fake.rows["incident"][0]["sys_id"] = "f" * 32
    with pytest.raises(PermanentError, match=f"record {key} is gone"):
        snow.record_event(key, "opened", {})


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")],
    ids=["timeout", "unreachable"],
)
def test_transport_failures_are_retryable(failure: Exception) -> None:
    """Time-outs and unreachable instances are worth another try."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    client = httpx.Client(transport=httpx.MockTransport(fail))
    with pytest.raises(RetryableError, match=r"trackers\.snow\.instance_url"):
        ServiceNowTracker("snow", section(), client).find_by_correlation("m-1")


def test_an_answer_that_is_not_json_is_retryable() -> None:
    """A sleeping instance's HTML page is not taken for a result."""
    page = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    client = httpx.Client(transport=page)
    with pytest.raises(RetryableError, match="asleep"):
        ServiceNowTracker("snow", section(), client).find_by_correlation("m-1")


def test_no_secret_subject_or_address_reaches_messages_or_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failures name settings, never the password, the subject or the sender."""
    fake = FakeServiceNow()
    fake.fail(400, times=5)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermanentError) as caught:
        tracker(fake).create_ticket(DRAFT)
    seen = str(caught.value) + caplog.text + repr(section())
    for secret in (PASSWORD, SUBJECT, "ada@example.com", "payroll"):
        assert secret not in seen
