"""An `updated` notification of a delivered mail: an event, never a ticket.

Graph may deliver one notification twice, and one edit of a mail may raise
several; a burst within a minute is recorded once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.deliver import handle_delivery
from handlers.ingest import handle_change
from mailroom.messages import MailChange
from runtime.session import SAMPLES
from tests.pipeline import HELPDESK, Pipeline

ORIGINAL = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()


def delivered(pipeline: Pipeline) -> MailChange:
    """Deliver the sample mail; return its notification as an `updated` one."""
    pipeline.mailbox.deliver(HELPDESK, ORIGINAL)
    created = MailChange.model_validate_json(pipeline.queues["mail-changes"][0])
    pipeline.drain()
    return created.model_copy(update={"change_type": "updated"})


def modify(pipeline: Pipeline, change: MailChange) -> None:
    """Run one `updated` change through ingest and its deliveries."""
    for request in handle_change(change, pipeline.services):
        handle_delivery(request, pipeline.services)


def test_an_update_adds_one_event_and_no_ticket(tmp_path: Path) -> None:
    """The ticket gets `mail-modified`; nothing else is opened or sent."""
    pipeline = Pipeline(tmp_path)
    updated = delivered(pipeline)

    modify(pipeline, updated)

    [ticket] = pipeline.tracker.tickets.values()
    assert ticket.events.count("mail-modified") == 1
    assert len(pipeline.sent()) == 1  # the acknowledgement only


def test_a_burst_of_updates_is_one_event_and_a_later_one_another(
    tmp_path: Path,
) -> None:
    """Three copies at once: one event; an update a minute later: a second."""
    pipeline = Pipeline(tmp_path)
    updated = delivered(pipeline)

    for _ in range(3):
        modify(pipeline, updated)
    later = datetime.now(UTC) + timedelta(seconds=61)
    pipeline.services = replace(pipeline.services, now=lambda: later)
    modify(pipeline, updated)

    [ticket] = pipeline.tracker.tickets.values()
    assert ticket.events.count("mail-modified") == 2
