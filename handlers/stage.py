"""Run one queue message through a stage, splitting retry from quarantine.

A permanent failure (bad input, a refused request) is quarantined at once:
the message goes to the stage's poison queue with its reason recorded, and
the rest of the batch goes on. Anything else is raised so that the queue
tries again and, after maxDequeueCount tries, poisons it by itself.

One exception: a service that asks to wait longer than the queue waits
between tries (a Retry-After over `runtime.visibility_timeout_seconds`)
would see all the tries spent within minutes. The stage then defers the
message instead: it puts the same body back on its queue, hidden for the
wait asked, and lets this copy complete. A message is deferred only within
DEFER_BUDGET_SECONDS of its first deferral; after that its failures raise
as before.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.errors import PermanentError, RetryableError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

DEFERRALS = "deferrals"
# Azure hides a message for up to seven days; a Retry-After beyond an hour
# is more likely a tool's mistake than a plan, so one deferral waits at most
# this long and the next try asks again.
MAX_DEFER_SECONDS = 3600.0
# A day of waiting outlasts any throttling window Graph or a tool documents.
DEFER_BUDGET_SECONDS = 24 * 3600.0
# A record this much older than its budget belongs to an earlier episode
# (the message succeeded, or was poisoned and replayed) and starts over.
STALE_SECONDS = DEFER_BUDGET_SECONDS + MAX_DEFER_SECONDS


@dataclass
class StageResult:
    """Messages for the next queue, and messages for the poison queue."""

    outputs: list[str] = field(default_factory=list)
    poison: list[str] = field(default_factory=list)


def run_stage(
    stage: str,
    body: bytes,
    model: type[M],
    handler: Callable[[M, Services], Sequence[BaseModel]],
    services: Services,
    queue: str | None = None,
) -> StageResult:
    """Parse `body` as `model`, hand it to `handler`, and sort the outcome.

    `queue` names the queue `body` came from; without it, or without
    `services.queues`, every retryable failure is left to the queue.
    """
    with unit_of_work(logger, "stage.message", stage=stage) as unit:
        try:
            message = model.model_validate_json(body)
        except ValidationError:
            unit.outcome = "quarantined"
            reason = f"the {stage} message is not a valid {model.__name__}"
            return quarantine(stage, body, reason, services)

        try:
            outputs = handler(message, services)
        except PermanentError as exc:
            unit.outcome = "quarantined"
            unit.note(error=type(exc).__name__)
            return quarantine(stage, body, str(exc), services)
        except RetryableError as exc:
            deferrals = defer(stage, queue, body, exc.retry_after, services)
            if deferrals is None:
                raise
            unit.outcome = "deferred"
            unit.note(error=type(exc).__name__, deferrals=deferrals)
            return StageResult()

        unit.note(outputs=len(outputs))
        return StageResult(outputs=[item.model_dump_json() for item in outputs])


def quarantine(stage: str, body: bytes, reason: str, services: Services) -> StageResult:
    """Record why a message was set aside and return it for the poison queue."""
    digest = message_hash(body)
    logger.warning("stage.quarantined", extra={"stage": stage, "message_hash": digest})
    record = {"stage": stage, "reason": reason, "at": services.now().isoformat()}
    services.store.upsert("quarantine", digest, record)
    text = body.decode("utf-8", errors="replace")
    return StageResult(poison=[text])


def defer(
    stage: str,
    queue: str | None,
    body: bytes,
    retry_after: float | None,
    services: Services,
) -> int | None:
    """Put `body` back on `queue` to wait out `retry_after`; return the count.

    Return None, having sent nothing, when the queue's own retry covers the
    wait or the message has used its deferral budget.
    """
    if queue is None or services.queues is None:
        return None
    digest = message_hash(body)
    now = services.now()
    first_at, count = deferral_episode(services.store.get(DEFERRALS, digest), now)
    waited = (now - first_at).total_seconds()
    queue_wait = services.config.runtime.visibility_timeout_seconds
    delay = plan_deferral(retry_after, queue_wait, waited)
    if delay is None:
        return None

    # Recorded before the send: a send that fails leaves this copy to the
    # queue's retries, having spent budget only; the other order could
    # leave a copy waiting uncounted.
    count += 1
    record = {
        "stage": stage,
        "deferrals": count,
        "first_at": first_at.isoformat(),
        "at": now.isoformat(),
    }
    services.store.upsert(DEFERRALS, digest, record)
    services.queues.send(queue, body.decode("utf-8"), delay=delay)
    logger.warning(
        "stage.deferred",
        extra={
            "stage": stage,
            "message_hash": digest,
            "delay_seconds": delay,
            "deferrals": count,
        },
    )
    return count


def plan_deferral(
    retry_after: float | None, queue_wait: float, waited: float
) -> float | None:
    """Return how long to hide a message before its next try, or None.

    None leaves the next try to the queue: no wait was asked, the queue's
    own delay covers it, or deferring would run past the budget.
    """
    if retry_after is None or retry_after <= queue_wait:
        return None
    delay = min(retry_after, MAX_DEFER_SECONDS)
    if waited + delay > DEFER_BUDGET_SECONDS:
        return None
    return delay


def deferral_episode(
    record: Mapping[str, Any] | None, now: datetime
) -> tuple[datetime, int]:
    """Return when a message's deferrals began and how many there were."""
    if record is None:
        return now, 0
    first_at = datetime.fromisoformat(str(record["first_at"]))
    if (now - first_at).total_seconds() >= STALE_SECONDS:
        return now, 0
    return first_at, int(record["deferrals"])


def message_hash(body: bytes) -> str:
    """Return the key a message's records are kept under: its body's hash."""
    return hashlib.sha256(body).hexdigest()[:32]
