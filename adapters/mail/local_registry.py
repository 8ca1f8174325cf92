"""The local mailbox's records: subscriptions, the change log, failed posts.

The change log numbers every arrival of an item in a folder; a delta link
is a position in it. The epoch is drawn once per registry file, so links
from a registry that was deleted and created again are recognised as stale.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from adapters.sqlite_db import SqliteDatabase
from mailroom.models import Model
from mailroom.subscriptions import Subscription

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    mailbox TEXT NOT NULL COLLATE NOCASE,
    folder TEXT NOT NULL,
    resource TEXT NOT NULL,
    notification_url TEXT NOT NULL,
    lifecycle_url TEXT,
    client_state TEXT NOT NULL,
    change_type TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox TEXT NOT NULL COLLATE NOCASE,
    folder TEXT NOT NULL,
    item_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_folder ON changes (mailbox, folder, seq);
CREATE TABLE IF NOT EXISTS failed_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL,
    item_id TEXT,
    reason TEXT NOT NULL,
    at REAL NOT NULL
);
"""

_COLUMNS = (
    "id, mailbox, folder, resource, notification_url, lifecycle_url, "
    "change_type, expires_at, client_state"
)


class StoredSubscription(Model):
    """A subscription with the client state that goes out with each post."""

    subscription: Subscription
    client_state: str = Field(repr=False)


class MailboxRegistry:
    """Subscriptions and the change log of the local mailbox, in SQLite."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteDatabase(path, SCHEMA)

    def epoch(self) -> str:
        """Return the id drawn when this registry file was created."""
        self._db.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('epoch', ?)",
            (uuid.uuid4().hex,),
        )
        row = self._db.execute("SELECT value FROM meta WHERE name = 'epoch'")
        return str(row.fetchone()[0])

    def add(self, subscription: Subscription, client_state: str) -> None:
        """Record a new subscription."""
        self._db.execute(
            f"INSERT INTO subscriptions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
            (*_row_of(subscription), client_state),
        )

    def get(self, subscription_id: str) -> StoredSubscription | None:
        """Return a subscription, expired or not, or None."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
        ).fetchone()
        return None if row is None else _stored(row)

    def extend(self, subscription_id: str, expires_at: datetime, now: datetime) -> bool:
        """Move an unexpired subscription's expiry; return False if gone."""
        cursor = self._db.execute(
            "UPDATE subscriptions SET expires_at = ? WHERE id = ? AND expires_at > ?",
            (expires_at.timestamp(), subscription_id, now.timestamp()),
        )
        return cursor.rowcount == 1

    def remove(self, subscription_id: str) -> None:
        """Forget a subscription; a missing one is not an error."""
        self._db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    def active(self, now: datetime) -> list[StoredSubscription]:
        """Return the unexpired subscriptions, oldest expiry first."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE expires_at > ? "
            "ORDER BY expires_at, id",
            (now.timestamp(),),
        ).fetchall()
        return [_stored(row) for row in rows]

    def log_change(self, mailbox: str, folder: str, item_id: str) -> None:
        """Note that an item arrived in a folder."""
        self._db.execute(
            "INSERT INTO changes (mailbox, folder, item_id) VALUES (?, ?, ?)",
            (mailbox, folder, item_id),
        )

    def last_change(self) -> int:
        """Return the newest position of the change log (0 when empty)."""
        row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes")
        return int(row.fetchone()[0])

    def changes_between(
        self, mailbox: str, folder: str, after: int, upto: int
    ) -> list[str]:
        """Return the ids that arrived in a folder in (after, upto], in order."""
        rows = self._db.execute(
            "SELECT item_id FROM changes WHERE mailbox = ? AND folder = ? "
            "AND seq > ? AND seq <= ? ORDER BY seq",
            (mailbox, folder, after, upto),
        ).fetchall()
        return list(dict.fromkeys(row[0] for row in rows))

    def record_failure(
        self, subscription_id: str, item_id: str | None, reason: str
    ) -> None:
        """Keep a notification that could not be posted."""
        self._db.execute(
            "INSERT INTO failed_notifications (subscription_id, item_id, reason, at) "
            "VALUES (?, ?, ?, ?)",
            (subscription_id, item_id, reason, datetime.now(UTC).timestamp()),
        )

    def failure_count(self) -> int:
        """Count the notifications that could not be posted."""
        row = self._db.execute("SELECT COUNT(*) FROM failed_notifications")
        return int(row.fetchone()[0])

    def close(self) -> None:
        """Close the database connections."""
        self._db.close()


def _row_of(sub: Subscription) -> tuple[Any, ...]:
    return (
        sub.id,
        sub.mailbox,
        sub.folder,
        sub.resource,
        sub.notification_url,
        sub.lifecycle_url,
        sub.change_type,
        sub.expires_at.timestamp(),
    )


def _stored(row: tuple[Any, ...]) -> StoredSubscription:
    subscription = Subscription(
        id=row[0],
        mailbox=row[1],
        folder=row[2],
        resource=row[3],
        notification_url=row[4],
        lifecycle_url=row[5],
        change_type=row[6],
        expires_at=datetime.fromtimestamp(row[7], UTC),
    )
    return StoredSubscription(subscription=subscription, client_state=row[8])
