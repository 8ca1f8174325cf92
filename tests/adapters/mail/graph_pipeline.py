"""Mailroom's stages over GraphMailbox and the real SDK, on a fake Graph.

Like tests/pipeline.py, but the mail system is Graph: the SDK talks to
FakeGraph through httpx.MockTransport, and FakeGraph's webhooks reach the
app's HTTP handlers. A RetryableError puts the message back on its queue,
and the clock moves on by its Retry-After, as the Functions host would.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from azure.core.credentials import AccessToken
from pydantic import SecretStr

from adapters.blobs.folder import FolderBlobs
from adapters.mail.graph import MAX_MESSAGE_BYTES, MEMORY_BYTES, GraphMailbox
from adapters.state.memory import MemoryStore
from handlers.ledger import Ledger
from handlers.lifecycle import handle_lifecycle
from handlers.notifications import handle_notifications
from handlers.services import Services
from handlers.stage import run_stage
from handlers.subscriptions import renew_subscriptions
from mailroom.config import Config, GraphConfig, MailConfig, RuntimeConfig
from mailroom.errors import RetryableError
from tests.adapters.mail.fake_graph import FakeGraph
from tests.fakes import FakeTracker
from tests.pipeline import STAGES, pipeline_config

HELPDESK = "helpdesk@example.org"
START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# As host.json: a message is poisoned on its fifth failure.
MAX_TRIES = 5


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start

    def now(self) -> datetime:
        """Return the current fake time."""
        return self.moment

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.moment += timedelta(seconds=seconds)


class FakeCredential:
    """An async token credential that hands out one fixed token."""

    async def get_token(self, *scopes: str, **options: Any) -> AccessToken:
        """Return the fake token, valid for an hour."""
        return AccessToken("fake-graph-token", int(START.timestamp()) + 3600)

    async def close(self) -> None:
        """Nothing to close."""


def graph_config(**mail: Any) -> Config:
    """Return the embedded configuration with Graph as the mail system."""
    graph = GraphConfig(
        tenant_id="tenant", client_id="client", client_secret=SecretStr("s3cr3t")
    )
    section = MailConfig(
        kind="graph",
        graph=graph,
        client_state_secret=SecretStr("graph-test-client-state"),
        initial_sync="all",
        **mail,
    )
    runtime = RuntimeConfig(public_url="https://mailroom.example.org")
    return pipeline_config(mail=section, runtime=runtime)


class GraphPipeline:
    """Mailroom's stages, GraphMailbox, a fake Graph and a fake tracker."""

    def __init__(
        self,
        root: Path,
        config: Config | None = None,
        memory_bytes: int = MEMORY_BYTES,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.config = config or graph_config()
        self.max_message_bytes = max_message_bytes
        self.blobs = FolderBlobs(root / "blobs")
        self.memory_bytes = memory_bytes
        self.clock = Clock()
        self.queues: dict[str, list[str]] = {stage[0]: [] for stage in STAGES}
        self.poison: list[str] = []
        self.waits: list[float] = []
        self.retries = 0
        self.graph = FakeGraph(now=self.clock.now, webhook=self.post)
        self.mailbox = self._mailbox()
        self.tracker = FakeTracker()
        counter = itertools.count()
        self.services = Services(
            config=self.config,
            mail=self.mailbox,
            trackers={"local": self.tracker},
            store=MemoryStore(),
            blobs=self.blobs,
            now=self.clock.now,
            new_nonce=lambda: f"n{next(counter)}",
        )
        self.ledger = Ledger(self.services.store)

    def subscribe(self) -> None:
        """Reconcile the subscriptions, as the renew timer does, and drain."""
        changes = renew_subscriptions(self.services)
        self.queues["mail-changes"] += [c.model_dump_json() for c in changes]
        self.drain()

    def deliver(self, raw: bytes, folder: str = "Inbox") -> str:
        """Deliver a mail to the helpdesk, run until idle, return its id."""
        item_id = self.graph.deliver(HELPDESK, raw, folder)
        self.drain()
        return item_id

    def drain(self) -> None:
        """Process every queue in stage order until all are empty."""
        tries: dict[str, int] = {}
        while any(self.queues.values()):
            for queue, stage, model, handler, target in STAGES:
                while self.queues[queue]:
                    body = self.queues[queue].pop(0)
                    try:
                        result = run_stage(
                            stage, body.encode(), model, handler, self.services
                        )
                    except RetryableError as exc:
                        self._requeue(queue, body, exc, tries)
                        break
                    self.poison += result.poison
                    if target:
                        self.queues[target] += result.outputs

    def post(self, url: str, body: bytes) -> tuple[int, str, str]:
        """Answer the fake Graph's webhook POSTs with the app's handlers."""
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        secret = self.config.mail.client_state_secret.get_secret_value()
        if parts.path.endswith("/lifecycle"):
            answer = handle_lifecycle(params, body, secret)
            self.queues["lifecycle-events"] += answer.enqueue
        else:
            answer = handle_notifications(params, body, secret)
            self.queues["mail-changes"] += answer.enqueue
        return answer.status, answer.content_type, answer.body

    def sent(self) -> list[str]:
        """Return the paths of the mail Mailroom sent through sendMail."""
        return [p for p in self.graph.paths("POST") if p.endswith("/sendMail")]

    def close(self) -> None:
        """Stop the Graph adapter's event loop."""
        self.mailbox.close()

    def _mailbox(self) -> GraphMailbox:
        graph = self.config.mail.graph
        assert graph is not None

        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=httpx.MockTransport(self.graph.handle))

        return GraphMailbox(
            graph,
            self.config.runtime.public_url,
            credential=FakeCredential(),  # type: ignore[arg-type]
            http=client,
            now=self.clock.now,
            sleep=self._sleep,
            blobs=self.blobs,
            limits=self.config.attachments,
            memory_bytes=self.memory_bytes,
            max_message_bytes=self.max_message_bytes,
        )

    async def _sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)

    def _requeue(
        self, queue: str, body: str, exc: RetryableError, tries: dict[str, int]
    ) -> None:
        """Put a message back, as the queue does, after its visibility delay."""
        self.retries += 1
        tries[body] = tries.get(body, 0) + 1
        wait = exc.retry_after or 30.0
        self.waits.append(wait)
        self.clock.advance(wait)
        if tries[body] >= MAX_TRIES:
            self.poison.append(body)
        else:
            self.queues[queue].append(body)
