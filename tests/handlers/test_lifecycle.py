"""Lifecycle events: reauthorize, recreate after removal, catch up on misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.subscriptions import run_catch_up
from runtime.session import SAMPLES
from tests.pipeline import Pipeline

FIRST = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
SECOND = (SAMPLES / "02-calendar-sync-key-equals.eml").read_bytes()


def inbox_subscription(pipeline: Pipeline) -> str:
    """Return the id of the helpdesk inbox subscription."""
    subs = pipeline.mailbox.list_subscriptions()
    return next(s.id for s in subs if s.folder.lower() == "inbox")


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    """Return a pipeline that has already made one ticket."""
    started = Pipeline(tmp_path)
    started.deliver(FIRST)
    return started


def test_missed_catches_up_mail_whose_notification_was_lost(pipeline: Pipeline) -> None:
    """Mail delivered while the endpoint was down arrives after `missed`."""
    pipeline.offline = True
    pipeline.deliver(SECOND)
    assert len(pipeline.tracker.tickets) == 1

    pipeline.offline = False
    pipeline.mailbox.send_lifecycle(inbox_subscription(pipeline), "missed")
    pipeline.drain()
    assert len(pipeline.tracker.tickets) == 2


def test_removed_subscription_is_recreated_and_the_gap_caught_up(
    pipeline: Pipeline,
) -> None:
    """After subscriptionRemoved a new subscription exists and nothing is lost."""
    old = inbox_subscription(pipeline)
    pipeline.mailbox.send_lifecycle(old, "subscriptionRemoved")
    pipeline.drain()
    pipeline.deliver(SECOND)

    assert inbox_subscription(pipeline) != old
    assert len(pipeline.tracker.tickets) == 2


def test_reauthorization_renews_the_same_subscription(pipeline: Pipeline) -> None:
    """reauthorizationRequired extends the subscription in place."""
    sub = inbox_subscription(pipeline)
    before = pipeline.mailbox.list_subscriptions()
    pipeline.mailbox.send_lifecycle(sub, "reauthorizationRequired")
    pipeline.drain()

    after = {s.id: s.expires_at for s in pipeline.mailbox.list_subscriptions()}
    assert after[sub] >= next(s.expires_at for s in before if s.id == sub)
    assert pipeline.poison == []


def test_the_catch_up_timer_finds_lost_mail_and_doubles_nothing(
    pipeline: Pipeline,
) -> None:
    """A catch-up run enqueues the lost mail once; a second run adds nothing."""
    pipeline.offline = True
    pipeline.deliver(SECOND)
    pipeline.offline = False

    for _ in range(2):
        changes = run_catch_up(pipeline.services)
        pipeline.queues["mail-changes"] += [c.model_dump_json() for c in changes]
        pipeline.drain()
    assert len(pipeline.tracker.tickets) == 2
    assert len(pipeline.sent()) == 2
