"""EWM failures become retryable or permanent errors that say the fix."""

from __future__ import annotations

import httpx
import pytest

from mailroom.errors import MailroomError, PermanentError, RetryableError
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_ewm import PASSWORD, FakeEwm, connect
from tests.adapters.trackers.runners import raised_by

TABLE = [
    (400, {}, PermanentError, "field_map"),
    (401, {}, PermanentError, "trackers.ewm.password"),
    (403, {}, PermanentError, "project_area"),
    (404, {}, PermanentError, "trackers.ewm.base_url"),
    (429, {"Retry-After": "11"}, RetryableError, "usually passes"),
    (500, {}, RetryableError, "usually passes"),
    (503, {}, RetryableError, "usually passes"),
]


@pytest.mark.parametrize(("status", "headers", "error", "fix"), TABLE)
def test_each_status_maps_to_its_error_and_fix(
    status: int, headers: dict[str, str], error: type[MailroomError], fix: str
) -> None:
    """Each answer maps to its error kind, naming the tool and the fix."""
    fake = FakeEwm()
    fake.answer_all = httpx.Response(status, headers=headers, text="Ada's secret")
    message = str(raised_by(lambda: connect(fake).create_ticket(draft()), error))
    assert "EWM" in message and "'ewm'" in message and fix in message
    assert "secret" not in message and PASSWORD not in message


def test_a_429_waits_as_long_as_retry_after_says() -> None:
    """Throttling carries its Retry-After seconds to the queue."""
    fake = FakeEwm()
    fake.answer_all = httpx.Response(429, headers={"Retry-After": "11"})
    lookup = connect(fake).find_by_correlation
    assert raised_by(lambda: lookup("m-1"), RetryableError).retry_after == 11.0


def test_a_time_out_is_retryable() -> None:
    """A request that times out is tried again later."""
    fake = FakeEwm()
    fake.lose_next_create = True
    with pytest.raises(RetryableError, match="did not answer in time"):
        connect(fake).create_ticket(draft())


def test_a_conflicting_update_is_retryable() -> None:
    """A 412 from a partial update is tried again with a fresh ETag."""
    fake = FakeEwm()
    tracker = connect(fake)
    first, second = (tracker.create_ticket(draft(f"m-{n}")).key for n in range(2))
    fake.answer_all = httpx.Response(412)
    with pytest.raises(RetryableError):
        tracker.link(second, first, "follows-up")


def test_a_project_area_not_in_the_catalog_names_the_setting() -> None:
    """A project area the catalog does not list is a permanent error."""
    with pytest.raises(PermanentError, match="project_area"):
        connect(FakeEwm(), project_area="Payroll Ops").find_by_correlation("m-1")
