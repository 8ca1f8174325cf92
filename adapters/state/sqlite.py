"""The embedded key-value store: named tables of JSON records in SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adapters.sqlite_db import SqliteDatabase
from adapters.state.records import decode_record, encode_record

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    tbl TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tbl, key)
) WITHOUT ROWID;
"""


class SqliteStore:
    """Serve the KeyValueStore port from one SQLite file.

    Error messages name the table, never the key: keys are often built from
    addresses and message ids.
    """

    def __init__(self, path: Path | str) -> None:
        self._db = SqliteDatabase(path, SCHEMA)

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return the record, or None."""
        row = self._db.execute(
            "SELECT value FROM records WHERE tbl = ? AND key = ?", (table, key)
        ).fetchone()
        return None if row is None else decode_record(row[0], table)

    def insert(self, table: str, key: str, value: dict[str, Any]) -> bool:
        """Store a new record; return False if the key exists already."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO records (tbl, key, value) VALUES (?, ?, ?)",
            (table, key, encode_record(value, table)),
        )
        return cursor.rowcount == 1

    def upsert(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Store a record, replacing any other under the same key."""
        self._db.execute(
            "INSERT INTO records (tbl, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
            (table, key, encode_record(value, table)),
        )

    def delete(self, table: str, key: str) -> None:
        """Remove a record; a missing one is not an error."""
        self._db.execute("DELETE FROM records WHERE tbl = ? AND key = ?", (table, key))

    def scan(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield every record of a table, in key order."""
        # Read all rows first so no read transaction stays open while the
        # caller works through them.
        rows = self._db.execute(
            "SELECT key, value FROM records WHERE tbl = ? ORDER BY key", (table,)
        ).fetchall()
        for key, value in rows:
            yield key, decode_record(value, table)

    def close(self) -> None:
        """Close the database connections."""
        self._db.close()
