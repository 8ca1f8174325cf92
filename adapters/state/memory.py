"""A KeyValueStore in memory: for dry runs and for tests of handlers."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any


class MemoryStore:
    """Records in dictionaries, guarded by one lock."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return a copy of the record, or None."""
        with self._lock:
            value = self._tables.get(table, {}).get(key)
            return copy.deepcopy(value)

    def insert(self, table: str, key: str, value: dict[str, Any]) -> bool:
        """Store a new record; return False if the key exists already."""
        with self._lock:
            rows = self._tables.setdefault(table, {})
            if key in rows:
                return False
            rows[key] = copy.deepcopy(value)
            return True

    def upsert(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Store a record, replacing any other under the same key."""
        with self._lock:
            self._tables.setdefault(table, {})[key] = copy.deepcopy(value)

    def delete(self, table: str, key: str) -> None:
        """Remove a record; a missing one is not an error."""
        with self._lock:
            self._tables.get(table, {}).pop(key, None)

    def scan(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield a copy of every record of a table."""
        with self._lock:
            rows = copy.deepcopy(self._tables.get(table, {}))
        yield from rows.items()
