"""Crashes, lost answers and outages neither lose nor double ServiceNow records."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from adapters.trackers.servicenow import ServiceNowTracker
from mailroom.errors import RetryableError
from mailroom.models import CommentDraft, TicketDraft, TicketRef
from tests.adapters.trackers.contract import attachment
from tests.adapters.trackers.fake_servicenow import FakeServiceNow, tracker

LOG = b"scanner log\n"


def draft(correlation_id: str) -> TicketDraft:
    """Return a plain draft for one mail."""
    return TicketDraft(correlation_id=correlation_id, summary="Scan", description="x")


def deliver(snow: ServiceNowTracker, correlation_id: str) -> TicketRef:
    """Do what the deliver stage does for a new mail: find or open, then add."""
    ref = snow.find_by_correlation(correlation_id) or snow.create_ticket(
        draft(correlation_id)
    )
    snow.attach(ref.key, attachment("scan.log", LOG), LOG)
    snow.add_comment(ref.key, CommentDraft(correlation_id=correlation_id, body="Hi"))
    return ref


def until_done(step: Callable[[], TicketRef], tries: int = 20) -> TicketRef:
    """Run `step` again on RetryableError, as the queue would."""
    for _ in range(tries - 1):
        try:
            return step()
        except RetryableError:
            continue
    return step()


def test_a_create_whose_answer_was_lost_is_found_on_retry() -> None:
    """The record made before the time-out is found; no second one is made."""
    fake = FakeServiceNow()
    fake.lost = 1
    with pytest.raises(RetryableError):
        tracker(fake).create_ticket(draft("m-1"))
    ref = deliver(tracker(fake), "m-1")
    assert [row["number"] for row in fake.rows["incident"]] == [ref.key]


def test_a_restarted_process_finds_what_the_first_created() -> None:
    """A new tracker (fresh caches) finds the record by correlation id."""
    fake = FakeServiceNow()
    first = tracker(fake).create_ticket(draft("m-1"))
    assert tracker(fake).find_by_correlation("m-1") == first


def test_an_outage_then_recovery_brings_every_record_once() -> None:
    """With 503 for a while, every mail still ends as one record, fully."""
    fake = FakeServiceNow()
    snow = tracker(fake)
    fake.fail(503, times=7, headers={"Retry-After": "1"})
    refs = [until_done(partial(deliver, snow, c)) for c in ("m-1", "m-2", "m-3")]
    fake.fail(503, times=3)
    refs.append(until_done(partial(deliver, snow, "m-4")))
    rows = fake.rows["incident"]
    assert sorted(row["correlation_id"] for row in rows) == ["m-1", "m-2", "m-3", "m-4"]
    assert [len(fake.journal(r["sys_id"])) for r in rows] == [1, 1, 1, 1]
    assert len(fake.files) == 4 and len({r.key for r in refs}) == 4


def test_answers_lost_at_every_step_still_end_in_one_of_each() -> None:
    """Losing each write's answer once doubles neither record, file nor comment."""
    fake = FakeServiceNow()
    fake.lose_each_write_once = True
    until_done(lambda: deliver(tracker(fake), "m-1"))
    row = fake.rows["incident"]
    assert len(row) == 1 and len(fake.files) == 1
    assert len(fake.journal(row[0]["sys_id"])) == 1
