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
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta

from handlers.services import Services
from mailroom.errors import RetryableError
from mailroom.ports import KeyValueStore

CLAIMS = "claims"
# A claim of work that runs alone outlives a crashed holder by the function
# time-out (host.json: 5 minutes) and a minute; a copy that finds it held
# goes back to its queue and comes again after CLAIMED_WAIT at the soonest.
CLAIM_SECONDS = 360.0
CLAIMED_WAIT = 5.0
# A copy that finds a claim held looks again within a minute: a live holder
# has finished by then, and a dead one's claim runs out a few looks later.
# The wait is past the queue's retry delay, so the stage defers the copy
# and its tries are not spent.
HOLDER_RECHECK = 60.0


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


def release_all(store: KeyValueStore) -> int:
    """Give up every claim in `store`; return how many there were.

    Only for a store no other live worker uses: the local host's, once it
    holds the data folder, where any claim left is a killed run's.
    """
    keys = [key for key, _ in store.scan(CLAIMS)]
    for key in keys:
        store.delete(CLAIMS, key)
    return len(keys)


def held_for(store: KeyValueStore, key: str, now: datetime) -> float:
    """Return the seconds until the claim on `key` runs out (0 if unheld)."""
    held = store.get(CLAIMS, key)
    if held is None:
        return 0.0
    until = datetime.fromisoformat(str(held["until"]))
    return max(0.0, (until - now).total_seconds()) + 1.0


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
    wait_for_holder: bool = False,
) -> Iterator[None]:
    """Hold the claims on all `keys` while the block runs.

    Claims are taken in sorted order, so two holders of overlapping keys
    cannot each wait for the other. A key another holds is asked for again
    until `patience` seconds have passed; then the claims taken so far are
    given up and RetryableError(`busy`, `retry_after`) sends the message
    back to its queue. `busy` must not name an address: it is logged.

    With `wait_for_holder`, the message waits until the claim it found runs
    out, looking again at most HOLDER_RECHECK seconds later: a holder that
    stopped without releasing it (a killed process) does not make the copy
    spend its tries and land in poison.
    """
    taken: list[str] = []
    deadline = time.monotonic() + patience
    try:
        for key in sorted(set(keys)):
            while not claim(store, key, owner, clock(), seconds):
                if time.monotonic() >= deadline:
                    wait = retry_after
                    if wait_for_holder:
                        held = min(held_for(store, key, clock()), HOLDER_RECHECK)
                        wait = max(wait or 0.0, held)
                    raise RetryableError(busy, retry_after=wait)
                time.sleep(0.05)
            taken.append(key)
        yield
    finally:
        for key in taken:
            release(store, key, owner)


def working_alone(
    services: Services, key: str, busy: str
) -> AbstractContextManager[None]:
    """Hold the claim on `key` for this worker, or send the message back.

    A copy that finds the claim held does not wait here: it goes back to its
    queue with `busy` (logged, so no address) until the claim runs out, and
    then finds the work done, or the claim of a stopped holder free.
    """
    return holding(
        services.store,
        [key],
        services.new_nonce(),
        services.now,
        CLAIM_SECONDS,
        patience=0,
        busy=busy,
        retry_after=CLAIMED_WAIT,
        wait_for_holder=True,
    )
