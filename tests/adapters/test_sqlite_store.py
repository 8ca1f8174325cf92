"""The embedded SQLite key-value store."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from adapters.state.sqlite import SqliteStore
from mailroom.errors import PermanentError


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    """Return an empty store."""
    return SqliteStore(tmp_path / "state.db")


def test_insert_refuses_an_existing_key(store: SqliteStore) -> None:
    """The second insert under a key reports False and keeps the first."""
    assert store.insert("mails", "k", {"n": 1})
    assert not store.insert("mails", "k", {"n": 2})
    assert store.get("mails", "k") == {"n": 1}


def test_upsert_replaces_and_delete_removes(store: SqliteStore) -> None:
    """Upsert overwrites; delete of a missing key is quiet."""
    store.upsert("mails", "k", {"n": 1})
    store.upsert("mails", "k", {"n": 2})
    assert store.get("mails", "k") == {"n": 2}

    store.delete("mails", "k")
    store.delete("mails", "k")
    assert store.get("mails", "k") is None


def test_scan_yields_only_the_table(store: SqliteStore) -> None:
    """Scan returns every record of one table, in key order."""
    store.insert("mails", "b", {"n": 2})
    store.insert("mails", "a", {"n": 1})
    store.insert("tickets", "a", {"n": 3})

    assert list(store.scan("mails")) == [("a", {"n": 1}), ("b", {"n": 2})]


def test_values_round_trip_unicode(store: SqliteStore) -> None:
    """Nested JSON with non-ASCII text comes back unchanged."""
    value = {"name": "Zoë", "tags": ["回复", None, 1.5], "nested": {"ok": True}}
    store.insert("mails", "k", value)
    assert store.get("mails", "k") == value


def test_non_json_value_is_a_permanent_error(store: SqliteStore) -> None:
    """A value JSON cannot hold is refused, naming the table."""
    with pytest.raises(PermanentError, match="mails"):
        store.insert("mails", "k", {"when": object()})


def test_insert_if_absent_is_atomic_under_threads(tmp_path: Path) -> None:
    """Of many threads inserting one key, exactly one wins."""
    store = SqliteStore(tmp_path / "state.db")
    wins: list[bool] = []
    barrier = threading.Barrier(16)

    def claim(n: int) -> None:
        barrier.wait()
        wins.append(store.insert("dedupe", "mailbox|<id@x>", {"by": n}))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert wins.count(True) == 1


def test_threads_that_end_leave_no_open_connection(tmp_path: Path) -> None:
    """A thread per request must not leak a connection per request."""
    store = SqliteStore(tmp_path / "state.sqlite3")
    store.get("t", "main")
    before = len(os.listdir("/proc/self/fd"))
    for number in range(50):
        worker = threading.Thread(target=store.get, args=("t", str(number)))
        worker.start()
        worker.join()
    store.get("t", "main")
    assert len(os.listdir("/proc/self/fd")) - before <= 3
