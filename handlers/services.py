"""The ports and settings a handler works with, bundled once by the wiring."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from mailroom.config import Config
from mailroom.errors import ConfigurationError
from mailroom.ports import BlobStore, KeyValueStore, MailGateway, QueueClient, Tracker


@dataclass(frozen=True)
class Services:
    """Everything outside the handlers, behind ports."""

    config: Config
    mail: MailGateway
    trackers: Mapping[str, Tracker]
    store: KeyValueStore
    blobs: BlobStore
    now: Callable[[], datetime]
    new_nonce: Callable[[], str]
    # Where a stage puts a message back to wait out a long Retry-After;
    # without it the queue's own retries take every wait.
    queues: QueueClient | None = None

    def watched(self) -> list[str]:
        """Return the addresses of the watched mailboxes: never a recipient."""
        return [box.address for box in self.config.mailboxes]

    def tracker(self, tool: str) -> Tracker:
        """Return the tracker configured under `tool`."""
        try:
            return self.trackers[tool]
        except KeyError:
            raise ConfigurationError(
                f"no tracker named {tool!r} is configured under 'trackers'; "
                "add it or replay the message once the route is fixed"
            ) from None
