"""The embedded SQLite queues hide a message sent with a delay until it ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.queues.sqlite import SqliteQueues


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Return a stopped clock."""
    return Clock()


@pytest.fixture
def queues(tmp_path: Path, clock: Clock) -> SqliteQueues:
    """Return empty queues on the stopped clock."""
    return SqliteQueues(tmp_path / "queues.db", clock=clock)


def test_a_delayed_message_is_visible_only_once_its_delay_ends(
    queues: SqliteQueues, clock: Clock
) -> None:
    """Sent with a 600 s delay: hidden at 599 s, received at 600 s."""
    queues.send("deliveries", "wait for me", delay=600)

    clock.now += 599
    assert queues.receive("deliveries", 30, "host-a") is None

    clock.now += 1
    message = queues.receive("deliveries", 30, "host-a")
    assert message is not None and message.body == "wait for me"


def test_a_delayed_message_holds_up_none_sent_after_it(
    queues: SqliteQueues,
) -> None:
    """Messages sent later without a delay are received first."""
    queues.send("deliveries", "later", delay=600)
    queues.send("deliveries", "now")

    message = queues.receive("deliveries", 30, "host-a")

    assert message is not None and message.body == "now"


def test_a_delayed_message_is_counted_as_pending(queues: SqliteQueues) -> None:
    """A hidden message still waits in its queue: nothing looks idle early."""
    queues.send("deliveries", "wait for me", delay=600)
    assert (queues.depth("deliveries"), queues.pending()) == (1, 1)
