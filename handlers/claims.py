"""Leases on work that must not run twice at once.

Queues deliver at least once, and a replay or a catch-up can put a second
copy of a message on a queue while the first is still running. Most steps
are safe to repeat one after the other (they look before they write), but
two copies at the same moment both look before either writes. A claim,
taken with an insert that only one writer can win, lets one copy work and
sends the other back to its queue; a claim outlives a crashed holder by at
most `seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from mailroom.errors import RetryableError
from mailroom.ports import KeyValueStore

CLAIMS = "claims"


def claim(
    store: KeyValueStore, key: str, owner: str, now: datetime, seconds: float
) -> bool:
    """Take the claim on `key` for `owner`; False while another holds it."""
    record = {"owner": owner, "until": (now + timedelta(seconds=seconds)).isoformat()}
    if store.insert(CLAIMS, key, record):
        return True
    held = store.get(CLAIMS, key)
    if held is not None and datetime.fromisoformat(str(held["until"])) > now:
        return False
    store.delete(CLAIMS, key)  # its holder stopped without releasing it
    return store.insert(CLAIMS, key, record)


def release(store: KeyValueStore, key: str, owner: str) -> None:
    """Give up the claim on `key`, if `owner` still holds it."""
    held = store.get(CLAIMS, key)
    if held is not None and held.get("owner") == owner:
        store.delete(CLAIMS, key)


@contextmanager
def holding(
    store: KeyValueStore,
    keys: list[str],
    owner: str,
    clock: Callable[[], datetime],
    seconds: float,
    patience: float = 5.0,
    busy: str = "another worker holds this work's claim",
    retry_after: float | None = None,
) -> Iterator[None]:
    """Hold the claims on all `keys` while the block runs.

    Claims are taken in sorted order, so two holders of overlapping keys
    cannot each wait for the other. A key another holds is asked for again
    until `patience` seconds have passed; then the claims taken so far are
    given up and RetryableError(`busy`, `retry_after`) sends the message
    back to its queue. `busy` must not name an address: it is logged.
    """
    taken: list[str] = []
    deadline = time.monotonic() + patience
    try:
        for key in sorted(set(keys)):
            while not claim(store, key, owner, clock(), seconds):
                if time.monotonic() >= deadline:
                    raise RetryableError(busy, retry_after=retry_after)
                time.sleep(0.05)
            taken.append(key)
        yield
    finally:
        for key in taken:
            release(store, key, owner)
