"""The embedded SQLite queues."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from adapters.queues.sqlite import SqliteQueues
from mailroom.errors import PermanentError


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Return a stopped clock."""
    return FakeClock()


@pytest.fixture
def queues(tmp_path: Path, clock: FakeClock) -> SqliteQueues:
    """Return empty queues on the stopped clock."""
    return SqliteQueues(tmp_path / "queues.db", clock=clock)


def test_received_message_is_invisible_until_timeout(
    queues: SqliteQueues, clock: FakeClock
) -> None:
    """A leased message comes back only after its visibility timeout."""
    queues.send("mail-changes", "{}")
    assert queues.receive("mail-changes", 30, "host-a") is not None
    assert queues.receive("mail-changes", 30, "host-a") is None

    clock.now += 31
    assert queues.receive("mail-changes", 30, "host-a") is not None


def test_dequeue_count_grows_with_each_receive(
    queues: SqliteQueues, clock: FakeClock
) -> None:
    """Every receive counts one more dequeue."""
    queues.send("mail-changes", "{}")
    first = queues.receive("mail-changes", 1, "host-a")
    clock.now += 2
    second = queues.receive("mail-changes", 1, "host-a")

    assert first is not None and second is not None
    assert (first.dequeue_count, second.dequeue_count) == (1, 2)


def test_delete_needs_the_current_pop_token(
    queues: SqliteQueues, clock: FakeClock
) -> None:
    """A receiver whose lease ran out cannot delete the message any more."""
    queues.send("deliveries", "{}")
    stale = queues.receive("deliveries", 1, "host-a")
    clock.now += 2
    fresh = queues.receive("deliveries", 1, "host-b")
    assert stale is not None and fresh is not None

    assert not queues.delete("deliveries", stale.id, stale.pop_token)
    assert queues.delete("deliveries", fresh.id, fresh.pop_token)
    assert queues.depth("deliveries") == 0


def test_release_makes_the_message_visible_after_the_delay(
    queues: SqliteQueues, clock: FakeClock
) -> None:
    """A failed try comes back after the delay it asked for."""
    queues.send("deliveries", "{}")
    message = queues.receive("deliveries", 300, "host-a")
    assert message is not None

    assert queues.release("deliveries", message.id, message.pop_token, 5)
    assert queues.receive("deliveries", 300, "host-a") is None
    clock.now += 5
    assert queues.receive("deliveries", 300, "host-a") is not None


def test_poison_keeps_the_reason(queues: SqliteQueues) -> None:
    """A poisoned message lands in `<queue>-poison` with its reason."""
    queues.send("deliveries", '{"n": 1}')
    message = queues.receive("deliveries", 30, "host-a")
    assert message is not None

    assert queues.move_to_poison("deliveries", message.id, message.pop_token, "bad")
    [parked] = queues.poison_messages("deliveries")
    assert (parked.body, parked.reason) == ('{"n": 1}', "bad")
    assert queues.depth("deliveries-poison") == 1
    assert queues.poison_counts() == {"deliveries": 1}


def test_move_poison_puts_messages_back_with_a_fresh_count(
    queues: SqliteQueues,
) -> None:
    """Replaying a poison queue resets the dequeue count."""
    queues.send("deliveries", "{}")
    message = queues.receive("deliveries", 30, "host-a")
    assert message is not None
    queues.move_to_poison("deliveries", message.id, message.pop_token, "bad")

    assert queues.move_poison("deliveries") == 1
    again = queues.receive("deliveries", 30, "host-a")
    assert again is not None and again.dequeue_count == 1
    assert queues.poison_counts() == {}


def test_a_parked_body_keeps_the_tries_of_its_message(queues: SqliteQueues) -> None:
    """A body a stage sets aside is listed with the count it was received."""
    queues.park("deliveries", '{"n": 1}', 3)

    [parked] = queues.poison_messages("deliveries")
    assert (parked.body, parked.dequeue_count, parked.reason) == ('{"n": 1}', 3, "")


def test_parking_a_body_again_replaces_its_copy(queues: SqliteQueues) -> None:
    """Two copies of one message are one poison entry, the later one's."""
    queues.park("deliveries", '{"n": 1}', 5)
    queues.park("deliveries", '{"n": 2}', 1)
    queues.park("deliveries", '{"n": 1}', 1)

    parked = queues.poison_messages("deliveries")
    assert [(m.body, m.dequeue_count) for m in parked] == [
        ('{"n": 2}', 1),
        ('{"n": 1}', 1),
    ]
    assert queues.poison_counts() == {"deliveries": 2}


def test_poisoning_a_copy_of_a_parked_body_replaces_it(
    queues: SqliteQueues,
) -> None:
    """The queue giving up on a second copy leaves one entry, with its reason."""
    queues.park("deliveries", '{"n": 1}', 1)
    queues.send("deliveries", '{"n": 1}')
    message = queues.receive("deliveries", 30, "host-a")
    assert message is not None

    assert queues.move_to_poison("deliveries", message.id, message.pop_token, "bad")
    [parked] = queues.poison_messages("deliveries")
    assert (parked.id, parked.dequeue_count, parked.reason) == (message.id, 1, "bad")


def test_pending_ignores_poison_queues(queues: SqliteQueues) -> None:
    """Pending counts work still to do, not parked failures."""
    queues.send("mail-changes", "{}")
    queues.send("deliveries", "{}")
    message = queues.receive("deliveries", 30, "host-a")
    assert message is not None
    queues.move_to_poison("deliveries", message.id, message.pop_token, "bad")

    assert queues.pending() == 1


def test_release_owner_leases_frees_a_dead_hosts_messages(
    queues: SqliteQueues,
) -> None:
    """On start, messages leased by an earlier host are visible at once."""
    queues.send("mail-changes", "{}")
    queues.send("mail-changes", "{}")
    assert queues.receive("mail-changes", 300, "old-host") is not None
    assert queues.receive("mail-changes", 300, "new-host") is not None

    assert queues.release_owner_leases(except_owner="new-host") == 1
    assert queues.receive("mail-changes", 300, "new-host") is not None
    assert queues.receive("mail-changes", 300, "new-host") is None


def test_message_over_64_kb_is_refused_naming_the_queue(
    queues: SqliteQueues,
) -> None:
    """A body over 64 KB is a permanent error that names the queue."""
    with pytest.raises(PermanentError, match="deliveries"):
        queues.send("deliveries", "x" * (64 * 1024 + 1))


def test_bad_queue_name_is_refused(queues: SqliteQueues) -> None:
    """Names Azure Storage would refuse are refused locally too."""
    with pytest.raises(PermanentError, match="Mail_Changes"):
        queues.send("Mail_Changes", "{}")


def test_two_threads_never_receive_the_same_message(tmp_path: Path) -> None:
    """Concurrent receivers split the messages without overlap."""
    queues = SqliteQueues(tmp_path / "queues.db")
    for n in range(200):
        queues.send("mail-changes", str(n))
    seen: list[list[str]] = [[], [], [], []]

    def drain(bucket: list[str]) -> None:
        while (message := queues.receive("mail-changes", 300, "host")) is not None:
            bucket.append(message.body)

    threads = [threading.Thread(target=drain, args=(b,)) for b in seen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    bodies = [body for bucket in seen for body in bucket]
    assert sorted(bodies, key=int) == [str(n) for n in range(200)]


def test_two_instances_share_one_file(tmp_path: Path) -> None:
    """Two clients on one data dir (as two processes would) see one queue."""
    first = SqliteQueues(tmp_path / "queues.db")
    second = SqliteQueues(tmp_path / "queues.db")
    first.send("acknowledgements", "{}")

    assert second.depth("acknowledgements") == 1
