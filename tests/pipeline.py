"""Run the whole pipeline in one process, stage by stage, for tests.

The local mailbox is real (folders of .eml files, Graph-shaped
notifications); its HTTP calls reach the notification handler through an
httpx.MockTransport instead of a socket. Queues are in-memory lists drained
in stage order, with the same quarantine rule as the Functions app.
"""

from __future__ import annotations

import email
import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
from pydantic import BaseModel

from adapters.blobs.folder import FolderBlobs
from adapters.mail.local import LocalMailbox
from adapters.state.memory import MemoryStore
from handlers.acknowledge import handle_ack
from handlers.deliver import handle_delivery
from handlers.ingest import handle_change
from handlers.ledger import Ledger, ThreadRow
from handlers.lifecycle import handle_lifecycle
from handlers.notifications import handle_notifications
from handlers.services import Services
from handlers.stage import run_stage
from handlers.subscriptions import handle_lifecycle_event, renew_subscriptions
from mailroom.config import Config
from mailroom.messages import AckRequest, DeliveryRequest, LifecycleEvent, MailChange
from runtime.wiring import load_config
from tests.fakes import FakeTracker

HELPDESK = "helpdesk@example.org"
Handler = Callable[[Any, Services], Sequence[BaseModel]]
STAGES: list[tuple[str, str, type[BaseModel], Handler, str | None]] = [
    (
        "lifecycle-events",
        "lifecycle",
        LifecycleEvent,
        handle_lifecycle_event,
        "mail-changes",
    ),
    ("mail-changes", "ingest", MailChange, handle_change, "deliveries"),
    ("deliveries", "deliver", DeliveryRequest, handle_delivery, "acknowledgements"),
    ("acknowledgements", "acknowledge", AckRequest, handle_ack, None),
]


def pipeline_config(**changes: Any) -> Config:
    """Return the embedded configuration, with top-level sections replaced."""
    config = load_config()
    return config.model_copy(update=changes)


class Pipeline:
    """Mailroom's stages over a real local mailbox and a fake tracker."""

    def __init__(self, root: Path, config: Config | None = None) -> None:
        self.config = config or pipeline_config()
        self.queues: dict[str, list[str]] = {stage[0]: [] for stage in STAGES}
        self.poison: list[str] = []
        self.posts: list[tuple[str, bytes]] = []
        self.offline = False
        transport = httpx.MockTransport(self._serve)
        self.mailbox = LocalMailbox(
            root / "mail", http=httpx.Client(transport=transport)
        )
        self.tracker = FakeTracker()
        counter = itertools.count()
        self.services = Services(
            config=self.config,
            mail=self.mailbox,
            trackers={"local": self.tracker},
            store=MemoryStore(),
            blobs=FolderBlobs(root / "blobs"),
            now=lambda: datetime.now(UTC),
            new_nonce=lambda: f"n{next(counter)}",
        )
        self.ledger = Ledger(self.services.store)
        self.queues["mail-changes"] += [
            c.model_dump_json() for c in renew_subscriptions(self.services)
        ]
        self.drain()

    def deliver(self, raw: bytes, folder: str = "Inbox", to: str = HELPDESK) -> str:
        """Deliver a mail, run the pipeline until idle, return the item id."""
        item_id = self.mailbox.deliver(to, raw, folder)
        self.drain()
        return item_id

    def drain(self) -> None:
        """Process queued messages stage by stage until every queue is empty."""
        while any(self.queues.values()):
            for queue, stage, model, handler, target in STAGES:
                while self.queues[queue]:
                    body = self.queues[queue].pop(0).encode()
                    result = run_stage(stage, body, model, handler, self.services)
                    self.poison += result.poison
                    if target:
                        self.queues[target] += result.outputs

    def seed_ticket(
        self, key: str, summary: str, message_ids: Sequence[str] = ()
    ) -> None:
        """Make an existing ticket that the given Message-IDs thread to."""
        self.tracker.seed(key, summary)
        row = ThreadRow(key=key, subject=summary, mail_key=f"seed-{key}")
        self.ledger.save_ticket("local", row)
        for message_id in message_ids:
            self.ledger.save_thread("local", message_id, row)

    def sent(self) -> list[EmailMessage]:
        """Return the mails Mailroom sent from the helpdesk, oldest first."""
        ids = self.mailbox.items(HELPDESK, "SentItems")
        raws = [self.mailbox.read(HELPDESK, "SentItems", i) for i in ids]
        return [
            email.message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
            for raw in raws
        ]

    def _serve(self, request: httpx.Request) -> httpx.Response:
        """Answer the mailbox's HTTP calls with the app's HTTP handlers."""
        params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        secret = self.config.mail.client_state_secret.get_secret_value()
        self.posts.append((request.url.path, request.content))
        if self.offline:
            return httpx.Response(503, text="the endpoint is down")
        if request.url.path.endswith("/lifecycle"):
            answer = handle_lifecycle(params, request.content, secret)
            self.queues["lifecycle-events"] += answer.enqueue
        else:
            answer = handle_notifications(params, request.content, secret)
            self.queues["mail-changes"] += answer.enqueue
        headers = {"Content-Type": answer.content_type}
        return httpx.Response(answer.status, text=answer.body, headers=headers)
