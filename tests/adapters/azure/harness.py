"""Mailroom's stages over Azurite: Azure queues, Table state and Blob storage.

Like tests/pipeline.py, but every hand-over goes through a real Azure
Storage queue with its leases, and the ledger and the stored mail live in
Table and Blob storage. A worker is this process taking one message at a
time; `step(..., settle=False)` stops a worker after its handler ran and
before it set its outputs or deleted the message, as a killed instance
would.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

from adapters.azure_storage import StorageAccount
from adapters.blobs.azure import AzureBlobs
from adapters.mail.local import LocalMailbox
from adapters.queues.azure import AzureQueues
from adapters.state.table import TableStore
from adapters.trackers.local import LocalTracker
from handlers.lifecycle import handle_lifecycle
from handlers.notifications import handle_notifications
from handlers.services import Services
from handlers.stage import run_stage
from handlers.subscriptions import renew_subscriptions
from mailroom.config import Config, StorageConfig
from mailroom.ports import Tracker
from tests.pipeline import STAGES, pipeline_config

HELPDESK = "helpdesk@example.org"
LEASE_SECONDS = 30
MAX_STEPS = 500


class WorkerKilled(BaseException):
    """Stands for the instance dying in the middle of a message."""


class AzurePipeline:
    """The four queue stages draining Azurite, with a real local tracker."""

    def __init__(self, root: Path, storage: StorageConfig) -> None:
        self.config: Config = pipeline_config(storage=storage)
        account = StorageAccount(storage)
        self.queues = AzureQueues(account)
        http = httpx.Client(transport=httpx.MockTransport(self._serve))
        self.mailbox = LocalMailbox(root / "mail", http=http)
        self.tracker = LocalTracker(
            root / "tracker.sqlite3",
            root / "tracker-files",
            base_url=self.config.runtime.public_url,
        )
        counter = itertools.count()
        self.services = Services(
            config=self.config,
            mail=self.mailbox,
            trackers={"local": self.tracker},
            store=TableStore(account),
            blobs=AzureBlobs(account),
            now=lambda: datetime.now(UTC),
            new_nonce=lambda: f"n{next(counter)}",
        )
        for change in renew_subscriptions(self.services):
            self.queues.send("mail-changes", change.model_dump_json())
        self.drain()

    def use_tracker(self, tracker: Tracker) -> None:
        """Serve the local tool with another tracker (a crashing one)."""
        self.services = replace(self.services, trackers={"local": tracker})

    def deliver(self, raw: bytes) -> None:
        """Deliver a mail to the helpdesk and run the stages until idle."""
        self.mailbox.deliver(HELPDESK, raw, "Inbox")
        self.drain()

    def drain(self) -> None:
        """Take messages stage by stage until every queue is empty."""
        for _ in range(MAX_STEPS):
            worked = [self.step(queue) for queue, *_ in STAGES]
            if not any(worked) and self.queues.pending() == 0:
                return
        raise AssertionError(f"the queues did not drain in {MAX_STEPS} steps")

    def step(
        self, queue: str, lease: float = LEASE_SECONDS, settle: bool = True
    ) -> bool:
        """Process one message of `queue`; return False if none was visible."""
        message = self.queues.receive(queue, lease, "harness")
        if message is None:
            return False
        _, stage, model, handler, target = next(s for s in STAGES if s[0] == queue)

        try:
            result = run_stage(
                stage, message.body.encode(), model, handler, self.services
            )
        except WorkerKilled:
            return True
        except Exception:
            self.queues.release(queue, message.id, message.pop_token, 0)
            return True
        if not settle:
            return True

        for body in result.outputs:
            self.queues.send(target or "", body)
        for body in result.poison:
            self.queues.send(f"{queue}-poison", body)
        self.queues.delete(queue, message.id, message.pop_token)
        return True

    def _serve(self, request: httpx.Request) -> httpx.Response:
        """Answer the mailbox's notifications as the HTTP functions do."""
        params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        secret = self.config.mail.client_state_secret.get_secret_value()
        if request.url.path.endswith("/lifecycle"):
            answer = handle_lifecycle(params, request.content, secret)
            queue = "lifecycle-events"
        else:
            answer = handle_notifications(params, request.content, secret)
            queue = "mail-changes"
        for body in answer.enqueue:
            self.queues.send(queue, body)
        headers = {"Content-Type": answer.content_type}
        return httpx.Response(answer.status, text=answer.body, headers=headers)
