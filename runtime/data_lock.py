"""One `serve` per data folder: a second would share its queues and ledger.

Two hosts on one data folder drain the same SQLite queues and, each with
its own URL, would each see the other's subscriptions as another
endpoint's. The lock is a file lock, so a host killed with SIGKILL leaves
no stale lock behind: the system drops it with the process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from mailroom.errors import MailroomError

LOCK_FILE = "serve.lock"
OWNER_FILE = "serve.pid"


class DataFolderBusyError(MailroomError):
    """Another running host holds the data folder."""


@contextmanager
def hold_data_folder(data_dir: Path) -> Iterator[None]:
    """Hold `data_dir` for this process while the block runs.

    Raise DataFolderBusyError, naming the other process where it is known,
    when another process holds it.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DataFolderBusyError(busy_message(data_dir)) from None
    owner = data_dir / OWNER_FILE
    try:
        owner.write_text(f"{os.getpid()}\n")
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def busy_message(data_dir: Path) -> str:
    """Say who holds `data_dir` and what to do about it."""
    try:
        pid = (data_dir / OWNER_FILE).read_text().strip()
    except OSError:
        pid = ""
    who = f"another mailroom serve (process {pid})" if pid else "another process"
    return (
        f"{who} is using the data folder {data_dir}; stop it first, or give "
        "this one its own runtime.data_dir"
    )
