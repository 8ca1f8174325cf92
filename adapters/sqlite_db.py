"""One SQLite file shared by threads and processes, for the embedded adapters.

Each thread gets its own connection. The file runs in WAL mode so readers do
not block the writer, waits on a busy lock instead of failing at once, and
takes the write lock up front (`BEGIN IMMEDIATE`) wherever code reads and
then writes, so two writers never interleave.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mailroom.errors import PermanentError, RetryableError

BUSY_TIMEOUT_MS = 10_000


class SqliteDatabase:
    """A SQLite file with one connection per thread and a fixed schema."""

    def __init__(self, path: Path | str, schema: str) -> None:
        self.path = Path(path)
        self._schema = schema
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._ready = False

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        # A forked child must not reuse its parent's connection.
        if conn is not None and self._local.pid == os.getpid():
            return conn

        conn = self._open()
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the write lock for a short read-then-write transaction."""
        conn = self.connection()
        with translate_errors(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """Run one statement in its own implicit transaction."""
        with translate_errors(self.path):
            return self.connection().execute(sql, params)

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            for _, conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with translate_errors(self.path):
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._prepare(conn)

        with self._lock:
            self._close_orphans()
            self._connections.append((threading.current_thread(), conn))
        return conn

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended.

        Servers start a thread per request; without this every request would
        leave a connection, and its file descriptors, behind.
        """
        alive: list[tuple[threading.Thread, sqlite3.Connection]] = []
        for thread, conn in self._connections:
            if thread.is_alive():
                alive.append((thread, conn))
            else:
                conn.close()
        self._connections = alive

    def _prepare(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if self._ready:
                return
            # Switching to WAL can report "locked" without waiting on the busy
            # timeout while another process does the same, so retry here.
            deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            while True:
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    conn.executescript(self._schema)
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            self._ready = True


@contextmanager
def translate_errors(path: Path) -> Iterator[None]:
    """Turn sqlite3 errors into retryable (busy) or permanent ones."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise RetryableError(
                f"the database {path.name} stayed busy; try again",
                retry_after=1.0,
            ) from exc
        raise PermanentError(
            f"the database {path.name} failed ({exc}); check the data directory"
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise PermanentError(
            f"the database {path.name} failed ({exc}); check the data directory"
        ) from exc
