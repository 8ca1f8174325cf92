"""TableStore against Azurite: the KeyValueStore port, keys and ETags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.azure_storage import StorageAccount
from adapters.state.table import TableStore, escape_key, unescape_key
from mailroom.errors import PermanentError

NASTY_KEYS = [
    "local|<CAF=1/2#3?4@mail.example.org>",
    "helpdesk@example.org|AAMk\\AGI2==",
    "tab\there|new\nline|~tilde~7E",
    "percent %2F and quote ' and ü and 回复",
    "",
]


@pytest.fixture
def store(account: StorageAccount) -> TableStore:
    """Return a store over this test's own table."""
    return TableStore(account)


@given(st.text())
def test_escaping_round_trips_and_leaves_nothing_tables_refuse(key: str) -> None:
    """Any text comes back unchanged, and the escaped form is a legal key."""
    escaped = escape_key(key)

    assert unescape_key(escaped) == key
    assert not set(escaped) & set("/\\#?")
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in escaped)


@pytest.mark.slow
def test_keys_with_forbidden_characters_are_stored_and_scanned(
    store: TableStore,
) -> None:
    """Message-IDs and Graph ids with '/', '#', '?' and '\\' work as keys."""
    for number, key in enumerate(NASTY_KEYS):
        assert store.insert("threads", key, {"n": number})

    assert [store.get("threads", key) for key in NASTY_KEYS] == [
        {"n": n} for n in range(len(NASTY_KEYS))
    ]
    assert sorted(key for key, _ in store.scan("threads")) == sorted(NASTY_KEYS)


@pytest.mark.slow
def test_insert_keeps_the_first_record_and_upsert_replaces(store: TableStore) -> None:
    """insert is the dedupe primitive; upsert overwrites."""
    assert store.insert("mails", "k", {"v": 1}) is True
    assert store.insert("mails", "k", {"v": 2}) is False
    assert store.get("mails", "k") == {"v": 1}

    store.upsert("mails", "k", {"v": 3})

    assert store.get("mails", "k") == {"v": 3}


@pytest.mark.slow
def test_tables_are_apart_and_delete_tolerates_missing(store: TableStore) -> None:
    """Two tables may hold the same key; deleting twice is fine."""
    store.upsert("acks", "k", {"t": "acks"})
    store.upsert("deliveries", "k", {"t": "deliveries"})

    store.delete("acks", "k")
    store.delete("acks", "k")

    assert store.get("acks", "k") is None
    assert list(store.scan("deliveries")) == [("k", {"t": "deliveries"})]


@pytest.mark.slow
def test_an_update_loses_to_a_change_made_since_it_read(store: TableStore) -> None:
    """update_if_unchanged compares ETags: the second writer must read again."""
    store.upsert("ticket-files", "local|HELP-1", {"sha256": []})
    read = store.get_versioned("ticket-files", "local|HELP-1")
    assert read is not None

    assert store.update_if_unchanged(
        "ticket-files", "local|HELP-1", {"sha256": ["a"]}, read[1]
    )
    assert not store.update_if_unchanged(
        "ticket-files", "local|HELP-1", {"sha256": ["b"]}, read[1]
    )
    assert store.get("ticket-files", "local|HELP-1") == {"sha256": ["a"]}


@pytest.mark.slow
def test_records_larger_than_one_property_are_split(store: TableStore) -> None:
    """A record past 64 KiB of JSON still round-trips."""
    record = {"fields": {f"f{i}": "ü" * 100 for i in range(1000)}}

    store.upsert("mails", "big", record)

    assert store.get("mails", "big") == record


@pytest.mark.slow
def test_an_overlong_key_is_refused_without_naming_it(store: TableStore) -> None:
    """The error names the table and the fix, never the key."""
    key = "secret-address@example.org" * 40

    with pytest.raises(PermanentError, match="'threads'") as caught:
        store.insert("threads", key, {})

    assert "secret-address" not in str(caught.value)
