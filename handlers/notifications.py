"""The notification endpoint: validate, check clientState, enqueue, 202.

It stays inside Graph's three seconds by doing nothing else: no fetch, no
storage, no Graph or tracker import.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from handlers.observe import unit_of_work
from handlers.webhooks import (
    HttpAnswer,
    read_batch,
    record_refusals,
    validation_answer,
)
from mailroom.client_state import verify_client_state
from mailroom.messages import MailChange

logger = logging.getLogger(__name__)

RESOURCE = re.compile(
    r"^/?users/([^/]+)/(?:mailfolders/([^/]+)/)?messages/([^/]+)$", re.I
)
CHANGE_TYPES = ("created", "updated", "deleted")


def handle_notifications(
    params: dict[str, str], body: bytes, secret: str
) -> HttpAnswer:
    """Answer one POST from Graph (or the local mailbox)."""
    echo = validation_answer(params)
    if echo is not None:
        logger.info("notifications.validation", extra={"outcome": "echoed"})
        return echo

    with unit_of_work(logger, "notifications.batch") as unit:
        batch = read_batch(body)
        if batch is None:
            unit.outcome = "malformed"
            return HttpAnswer(
                status=400, body="expected a changeNotificationCollection"
            )

        changes: list[str] = []
        rejected, malformed = 0, batch.non_objects
        for notification in batch.items:
            if not verify_client_state(secret, notification.get("clientState")):
                rejected += 1
                continue
            change = read_change(notification)
            if change is None:
                malformed += 1
                continue
            changes.append(change.model_dump_json())

        counts = {"received": batch.received, "enqueued": len(changes)}
        counts |= {"rejected": rejected, "malformed": malformed}
        record_refusals(logger, unit, "notifications", counts)
        return HttpAnswer(status=202, enqueue=changes)


def read_change(notification: dict[str, Any]) -> MailChange | None:
    """Return the mail change a notification announces, or None if unreadable."""
    change_type = notification.get("changeType")
    resource = notification.get("resource")
    if change_type not in CHANGE_TYPES or not isinstance(resource, str):
        return None

    match = RESOURCE.match(resource)
    if match is None:
        return None

    mailbox, folder, item_id = match.groups()
    data = notification.get("resourceData")
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        item_id = data["id"]
    return MailChange(
        subscription_id=str(notification.get("subscriptionId") or "") or None,
        mailbox=mailbox,
        folder=folder,
        item_id=item_id,
        change_type=change_type,
    )
