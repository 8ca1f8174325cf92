"""The embedded queues: Azure Storage queue semantics over one SQLite file.

A received message stays in its queue, invisible until its visibility
timeout passes, and is gone only when the receiver deletes it with the pop
token it got. Each receive counts a dequeue and hands out a new pop token,
so a receiver whose lease ran out can no longer delete or move the message.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from adapters.sqlite_db import SqliteDatabase
from mailroom.errors import PermanentError
from mailroom.models import Model

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
POISON_SUFFIX = "-poison"
_QUEUE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    dequeue_count INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL,
    pop_token TEXT,
    owner TEXT,
    reason TEXT,
    inserted_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_at);
CREATE INDEX IF NOT EXISTS messages_owner ON messages (owner);
"""


class QueuedMessage(Model):
    """A received message and the lease that lets its receiver settle it."""

    id: str
    queue: str
    body: str
    dequeue_count: int
    pop_token: str


class PoisonedMessage(Model):
    """A message parked in a poison queue, with why it failed."""

    id: str
    body: str
    dequeue_count: int
    reason: str


class SqliteQueues:
    """Serve the QueueClient port, and what the local host needs, from SQLite."""

    def __init__(
        self, path: Path | str, clock: Callable[[], float] = time.time
    ) -> None:
        self._db = SqliteDatabase(path, SCHEMA)
        self._clock = clock

    def send(self, queue: str, body: str, delay: float = 0) -> None:
        """Append a message to `queue`, hidden for its first `delay` seconds."""
        check_queue_name(queue)
        if len(body.encode("utf-8")) > MAX_MESSAGE_BYTES:
            raise PermanentError(
                f"a message for queue {queue!r} is larger than 64 KB; put the "
                "payload in blob storage and send a reference"
            )

        now = self._clock()
        self._db.execute(
            "INSERT INTO messages (id, queue, body, visible_at, inserted_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (uuid.uuid4().hex, queue, body, now + max(0.0, delay), now),
        )

    def receive(
        self, queue: str, visibility_timeout: float, owner: str
    ) -> QueuedMessage | None:
        """Lease the oldest visible message of `queue`, or return None."""
        now = self._clock()
        token = uuid.uuid4().hex
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT id, body, dequeue_count FROM messages "
                "WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq "
                "LIMIT 1",
                (queue, now),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE messages SET visible_at = ?, pop_token = ?, owner = ?, "
                "dequeue_count = dequeue_count + 1 WHERE id = ?",
                (now + visibility_timeout, token, owner, row[0]),
            )

        return QueuedMessage(
            id=row[0],
            queue=queue,
            body=row[1],
            dequeue_count=row[2] + 1,
            pop_token=token,
        )

    def delete(self, queue: str, id: str, pop_token: str) -> bool:
        """Remove a finished message; return False if the lease was lost."""
        cursor = self._db.execute(
            "DELETE FROM messages WHERE queue = ? AND id = ? AND pop_token = ?",
            (queue, id, pop_token),
        )
        return cursor.rowcount == 1

    def release(self, queue: str, id: str, pop_token: str, delay: float) -> bool:
        """Make a failed message visible again after `delay` seconds."""
        cursor = self._db.execute(
            "UPDATE messages SET visible_at = ?, pop_token = NULL, owner = NULL "
            "WHERE queue = ? AND id = ? AND pop_token = ?",
            (self._clock() + delay, queue, id, pop_token),
        )
        return cursor.rowcount == 1

    def move_to_poison(self, queue: str, id: str, pop_token: str, reason: str) -> bool:
        """Park a message in `<queue>-poison` with the reason it failed.

        A copy of the same body parked before is replaced (see `park`).
        """
        poison = queue + POISON_SUFFIX
        with self._db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET queue = ?, reason = ?, visible_at = ?, "
                "pop_token = NULL, owner = NULL "
                "WHERE queue = ? AND id = ? AND pop_token = ?",
                (poison, reason, self._clock(), queue, id, pop_token),
            )
            moved = cursor.rowcount == 1
            if moved:
                conn.execute(
                    "DELETE FROM messages WHERE queue = ? AND id != ? AND body = "
                    "(SELECT body FROM messages WHERE id = ?)",
                    (poison, id, id),
                )
        if moved:
            logger.warning("queue.poisoned", extra={"queue": queue, "message_id": id})
        return moved

    def park(self, queue: str, body: str, dequeue_count: int) -> None:
        """Put `body` in `<queue>-poison`, in place of a copy parked before.

        A stage sets a message aside by sending its body on; `dequeue_count`
        is how often the message it came from was received. A message is
        known by its body: two copies of one piece of work (a replayed
        delivery beside the one catch-up sent again) are one poison entry,
        the later failure's.
        """
        poison = queue + POISON_SUFFIX
        check_queue_name(poison)
        now = self._clock()
        with self._db.transaction() as conn:
            conn.execute(
                "DELETE FROM messages WHERE queue = ? AND body = ?", (poison, body)
            )
            conn.execute(
                "INSERT INTO messages (id, queue, body, dequeue_count, visible_at, "
                "inserted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (uuid.uuid4().hex, poison, body, dequeue_count, now, now),
            )

    def move_poison(self, queue: str) -> int:
        """Put every message of `queue`'s poison queue back; return how many."""
        cursor = self._db.execute(
            "UPDATE messages SET queue = ?, reason = NULL, dequeue_count = 0, "
            "visible_at = ? WHERE queue = ?",
            (queue, self._clock(), queue + POISON_SUFFIX),
        )
        logger.info("queue.replayed", extra={"queue": queue, "count": cursor.rowcount})
        return cursor.rowcount

    def poison_messages(self, queue: str) -> list[PoisonedMessage]:
        """List the messages parked in `queue`'s poison queue, oldest first."""
        rows = self._db.execute(
            "SELECT id, body, dequeue_count, reason FROM messages "
            "WHERE queue = ? ORDER BY seq",
            (queue + POISON_SUFFIX,),
        ).fetchall()
        return [
            PoisonedMessage(id=r[0], body=r[1], dequeue_count=r[2], reason=r[3] or "")
            for r in rows
        ]

    def release_owner_leases(self, except_owner: str) -> int:
        """Make every message leased by another owner visible at once."""
        now = self._clock()
        cursor = self._db.execute(
            "UPDATE messages SET visible_at = ?, pop_token = NULL, owner = NULL "
            "WHERE owner IS NOT NULL AND owner != ? AND visible_at > ?",
            (now, except_owner, now),
        )
        return cursor.rowcount

    def depth(self, queue: str) -> int:
        """Count the messages of `queue`, visible or leased."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM messages WHERE queue = ?", (queue,)
        ).fetchone()
        return int(row[0])

    def pending(self) -> int:
        """Count the messages waiting in every queue but the poison ones."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM messages WHERE queue NOT LIKE ?",
            ("%" + POISON_SUFFIX,),
        ).fetchone()
        return int(row[0])

    def poison_counts(self) -> dict[str, int]:
        """Count poison messages per source queue (the name move_poison takes)."""
        rows = self._db.execute(
            "SELECT queue, COUNT(*) FROM messages WHERE queue LIKE ? GROUP BY queue",
            ("%" + POISON_SUFFIX,),
        ).fetchall()
        return {name.removesuffix(POISON_SUFFIX): int(count) for name, count in rows}

    def close(self) -> None:
        """Close the database connections."""
        self._db.close()


def check_queue_name(queue: str) -> None:
    """Refuse a name Azure Storage would refuse, so local runs catch it too."""
    if not (3 <= len(queue) <= 63 and _QUEUE_NAME.fullmatch(queue)):
        raise PermanentError(
            f"the queue name {queue!r} is not valid; use 3 to 63 lower-case "
            "letters, digits and single hyphens, starting and ending with a "
            "letter or digit"
        )
