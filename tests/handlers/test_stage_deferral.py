"""A Retry-After longer than the queue's retry delay defers the message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from adapters.blobs.folder import FolderBlobs
from adapters.mail.local import LocalMailbox
from adapters.state.memory import MemoryStore
from handlers.services import Services
from handlers.stage import (
    DEFER_BUDGET_SECONDS,
    DEFERRALS,
    MAX_DEFER_SECONDS,
    StageResult,
    message_hash,
    plan_deferral,
    run_stage,
)
from mailroom.errors import RetryableError
from tests.pipeline import pipeline_config

BODY = b'{"note": "Printer on floor 3 jams"}'


class Note(BaseModel):
    """A stage message with one field."""

    note: str


class SentQueues:
    """A QueueClient that keeps what was sent, with its delay."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, float]] = []

    def send(self, queue: str, body: str, delay: float = 0) -> None:
        """Keep the message."""
        self.sent.append((queue, body, delay))

    def move_poison(self, queue: str) -> int:
        """Move nothing."""
        return 0


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Throttled:
    """A handler that fails as a throttled service, asking for a wait."""

    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after

    def __call__(self, message: Note, services: Services) -> Sequence[BaseModel]:
        raise RetryableError("the tool is throttling", retry_after=self.retry_after)


@pytest.fixture
def clock() -> Clock:
    """Return a stopped clock."""
    return Clock()


@pytest.fixture
def queues() -> SentQueues:
    """Return queues that keep what is sent."""
    return SentQueues()


@pytest.fixture
def services(tmp_path: Path, clock: Clock, queues: SentQueues) -> Services:
    """Return the embedded configuration's services over fakes."""
    return Services(
        config=pipeline_config(),
        mail=LocalMailbox(tmp_path / "mail"),
        trackers={},
        store=MemoryStore(),
        blobs=FolderBlobs(tmp_path / "blobs"),
        now=clock,
        new_nonce=lambda: "n",
        queues=queues,
    )


def run(services: Services, retry_after: float | None) -> StageResult:
    """Run BODY from the deliveries queue through a throttled handler."""
    handler = Throttled(retry_after)
    return run_stage("deliver", BODY, Note, handler, services, "deliveries")


def test_a_long_retry_after_sends_the_body_back_hidden_that_long(
    services: Services, queues: SentQueues
) -> None:
    """Retry-After 600 puts the same body back for 600 s and raises nothing."""
    result = run(services, 600)

    assert result == StageResult()
    assert queues.sent == [("deliveries", BODY.decode(), 600.0)]


def test_a_short_retry_after_is_left_to_the_queue(
    services: Services, queues: SentQueues
) -> None:
    """Retry-After 5 fits the queue's 30 s: the error raises as before."""
    with pytest.raises(RetryableError):
        run(services, 5)
    assert queues.sent == []


def test_a_failure_without_retry_after_is_left_to_the_queue(
    services: Services, queues: SentQueues
) -> None:
    """No wait asked, no deferral."""
    with pytest.raises(RetryableError):
        run(services, None)
    assert queues.sent == []


def test_without_its_queue_a_stage_does_not_defer(
    services: Services, queues: SentQueues
) -> None:
    """A caller that names no queue keeps today's behaviour."""
    with pytest.raises(RetryableError):
        run_stage("deliver", BODY, Note, Throttled(600), services)
    assert queues.sent == []


def test_one_deferral_waits_an_hour_at_most(
    services: Services, queues: SentQueues
) -> None:
    """A Retry-After of two days hides the message for an hour."""
    run(services, 2 * 86400)
    assert queues.sent[0][2] == MAX_DEFER_SECONDS


def test_deferring_stops_once_a_day_of_waiting_is_spent(
    services: Services, queues: SentQueues, clock: Clock
) -> None:
    """After 24 h of 10-minute deferrals the error raises again."""
    with pytest.raises(RetryableError):
        while True:
            run(services, 600)
            clock.now += timedelta(seconds=600)
    assert len(queues.sent) == 144


def test_each_deferral_is_counted_under_the_message_hash(
    services: Services, clock: Clock
) -> None:
    """The ledger keeps how often a message was deferred, and since when."""
    run(services, 600)
    clock.now += timedelta(seconds=600)
    run(services, 600)

    record = services.store.get(DEFERRALS, message_hash(BODY))
    assert record is not None
    assert record["deferrals"] == 2
    assert record["first_at"] == "2025-03-01T09:00:00+00:00"


def test_an_old_deferral_record_starts_a_new_budget(
    services: Services, queues: SentQueues, clock: Clock
) -> None:
    """A record from a day and more ago (a replay) does not block deferring."""
    old = {
        "stage": "deliver",
        "deferrals": 144,
        "first_at": "2025-02-27T09:00:00+00:00",
        "at": "2025-02-28T09:00:00+00:00",
    }
    services.store.upsert(DEFERRALS, message_hash(BODY), old)

    run(services, 600)

    assert len(queues.sent) == 1


def test_a_deferral_logs_stage_and_hash_never_the_body(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """One warning names the stage, the hash and the delay; no payload."""
    caplog.set_level("INFO")
    run(services, 600)

    [line] = [r for r in caplog.records if r.getMessage() == "stage.deferred"]
    assert (line.stage, line.message_hash) == ("deliver", message_hash(BODY))
    assert (line.delay_seconds, line.deferrals) == (600.0, 1)
    assert "Printer" not in " ".join(str(vars(r)) for r in caplog.records)


def test_the_unit_of_work_ends_deferred(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """The stage's one line per message carries the outcome and the count."""
    caplog.set_level("INFO")
    run(services, 600)

    [line] = [r for r in caplog.records if r.getMessage() == "stage.message"]
    assert (line.outcome, line.deferrals) == ("deferred", 1)


def test_plan_deferral_hides_only_waits_the_queue_would_cut_short() -> None:
    """Longer than the queue's delay and within the budget: hide that long."""
    assert plan_deferral(600, 30, 0) == 600
    assert plan_deferral(30, 30, 0) is None
    assert plan_deferral(600, 30, DEFER_BUDGET_SECONDS - 599) is None
