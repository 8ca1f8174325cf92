"""A worker dies between "ticket created" and "queue message deleted".

On Azurite the message stays invisible until its lease runs out, comes
back with a higher dequeue count, and the retry must neither open a second
ticket nor send a second acknowledgement.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mailroom.config import StorageConfig
from mailroom.models import TicketDraft, TicketRef
from runtime.session import SAMPLES
from tests.adapters.azure.harness import AzurePipeline, WorkerKilled
from tests.adapters.azure.test_pipeline import sent

pytestmark = pytest.mark.slow
MAIL = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
LEASE = 1.0


class DyingTracker:
    """The local tracker, but the worker dies right after a ticket opens."""

    def __init__(self, pipeline: AzurePipeline) -> None:
        self.inner = pipeline.tracker

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open the ticket, then die before anything is recorded."""
        self.inner.create_ticket(draft)
        raise WorkerKilled


def ingest_only(tmp_path: Path, storage: StorageConfig) -> AzurePipeline:
    """Return a pipeline with one new mail ingested and its delivery queued."""
    pipeline = AzurePipeline(tmp_path, storage)
    pipeline.mailbox.deliver("helpdesk@example.org", MAIL, "Inbox")
    assert pipeline.step("mail-changes")
    return pipeline


def test_a_delivery_finished_but_not_deleted_runs_again_harmlessly(
    tmp_path: Path, storage: StorageConfig
) -> None:
    """The handler ran, its outputs and the delete were lost: one of each."""
    pipeline = ingest_only(tmp_path, storage)
    assert pipeline.step("deliveries", lease=LEASE, settle=False)
    assert len(pipeline.tracker.list_tickets()) == 1
    assert pipeline.queues.depth("deliveries") == 1

    time.sleep(LEASE + 0.5)
    pipeline.drain()

    assert len(pipeline.tracker.list_tickets()) == 1
    assert len(sent(pipeline)) == 1


def test_a_worker_killed_right_after_the_ticket_opened(
    tmp_path: Path, storage: StorageConfig
) -> None:
    """Nothing was recorded; the retry finds the ticket by its correlation id."""
    pipeline = ingest_only(tmp_path, storage)
    healthy = pipeline.services
    pipeline.use_tracker(DyingTracker(pipeline))  # type: ignore[arg-type]
    assert pipeline.step("deliveries", lease=LEASE)

    pipeline.services = healthy
    assert pipeline.queues.depth("deliveries") == 1
    time.sleep(LEASE + 0.5)
    pipeline.drain()

    assert len(pipeline.tracker.list_tickets()) == 1
    assert len(sent(pipeline)) == 1
