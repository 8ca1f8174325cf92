"""The lifecycle endpoint: validate, accept, enqueue; the work runs later."""

from __future__ import annotations

import logging

from handlers.observe import unit_of_work
from handlers.webhooks import (
    HttpAnswer,
    read_batch,
    record_refusals,
    validation_answer,
)
from mailroom.client_state import verify_client_state
from mailroom.messages import LifecycleEvent

logger = logging.getLogger(__name__)

EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")


def handle_lifecycle(params: dict[str, str], body: bytes, secret: str) -> HttpAnswer:
    """Answer one lifecycle POST: 202 now, the events go on a queue."""
    echo = validation_answer(params)
    if echo is not None:
        logger.info("lifecycle.validation", extra={"outcome": "echoed"})
        return echo

    with unit_of_work(logger, "lifecycle.batch") as unit:
        batch = read_batch(body)
        if batch is None:
            unit.outcome = "malformed"
            return HttpAnswer(status=400, body="expected a lifecycle notification")

        events: list[str] = []
        rejected, malformed = 0, batch.non_objects
        for item in batch.items:
            if not verify_client_state(secret, item.get("clientState")):
                rejected += 1
                continue
            event = item.get("lifecycleEvent")
            subscription_id = item.get("subscriptionId")
            if event not in EVENTS or not isinstance(subscription_id, str):
                malformed += 1
                continue
            lifecycle = LifecycleEvent(subscription_id=subscription_id, event=event)
            events.append(lifecycle.model_dump_json())

        counts = {"received": batch.received, "enqueued": len(events)}
        counts |= {"rejected": rejected, "malformed": malformed}
        record_refusals(logger, unit, "lifecycle", counts)
        return HttpAnswer(status=202, enqueue=events)
