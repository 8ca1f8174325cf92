"""Run one queue message through a stage, splitting retry from quarantine.

A permanent failure (bad input, a refused request) is quarantined at once:
the message goes to the stage's poison queue with its reason recorded, and
the rest of the batch goes on. Anything else is raised so that the queue
tries again and, after maxDequeueCount tries, poisons it by itself.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.errors import PermanentError

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


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
) -> StageResult:
    """Parse `body` as `model`, hand it to `handler`, and sort the outcome."""
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

        unit.note(outputs=len(outputs))
        return StageResult(outputs=[item.model_dump_json() for item in outputs])


def quarantine(stage: str, body: bytes, reason: str, services: Services) -> StageResult:
    """Record why a message was set aside and return it for the poison queue."""
    digest = hashlib.sha256(body).hexdigest()[:32]
    logger.warning("stage.quarantined", extra={"stage": stage, "message_hash": digest})
    record = {"stage": stage, "reason": reason, "at": services.now().isoformat()}
    services.store.upsert("quarantine", digest, record)
    text = body.decode("utf-8", errors="replace")
    return StageResult(poison=[text])
