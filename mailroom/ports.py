"""The small interfaces through which handlers reach the outside world.

Handlers import these protocols only; which adapter serves which port is
decided once, in `runtime.wiring`, from configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any, Protocol

from mailroom.models import (
    Attachment,
    CommentDraft,
    FetchedMail,
    OutgoingMail,
    TicketDraft,
    TicketRef,
)
from mailroom.subscriptions import DeltaPage, Subscription, SubscriptionRequest


class MailGateway(Protocol):
    """A mail system: Exchange through Graph, or the local mailbox."""

    def fetch_message(self, mailbox: str, item_id: str) -> FetchedMail:
        """Fetch one mail by its immutable id; raise MessageNotFoundError."""
        ...

    def send(self, mailbox: str, mail: OutgoingMail) -> str:
        """Send `mail` from `mailbox`; return its Message-ID. Idempotent."""
        ...

    def list_subscriptions(self) -> list[Subscription]:
        """Return the change subscriptions this app holds."""
        ...

    def create_subscription(self, request: SubscriptionRequest) -> Subscription:
        """Create a change subscription."""
        ...

    def renew_subscription(
        self, subscription_id: str, expires_at: datetime
    ) -> Subscription:
        """Extend a subscription; raise SubscriptionNotFoundError if gone."""
        ...

    def delete_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription; return False if the mail system had none.

        A missing subscription is not an error: the caller decides whether
        it matters.
        """
        ...

    def delta(self, mailbox: str, folder: str, delta_link: str | None) -> DeltaPage:
        """Return the items that changed in a folder since `delta_link`."""
        ...


class Tracker(Protocol):
    """A ticket tool: the local tracker, Jira, ServiceNow, ..."""

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the ticket created for `correlation_id`, if any."""
        ...

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a ticket; the caller has checked it does not exist yet."""
        ...

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment once per correlation id."""
        ...

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Attach a file once per content hash and name."""
        ...

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Relate two tickets of this tool."""
        ...

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Record something that happened to the ticket's mail."""
        ...


class KeyValueStore(Protocol):
    """Durable records in named tables: Table storage, or SQLite."""

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return the record, or None."""
        ...

    def insert(self, table: str, key: str, value: dict[str, Any]) -> bool:
        """Store a new record; return False if the key exists already."""
        ...

    def upsert(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Store a record, replacing any other under the same key."""
        ...

    def delete(self, table: str, key: str) -> None:
        """Remove a record; a missing one is not an error."""
        ...

    def scan(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield every record of a table."""
        ...


class BlobStore(Protocol):
    """Mail bodies and attachments: Blob storage, or a local folder."""

    def put(self, name: str, data: bytes) -> None:
        """Store `data` under `name`, replacing what was there."""
        ...

    def upload(self, name: str, stream: IO[bytes]) -> None:
        """Store what `stream` holds under `name`, reading it piece by piece."""
        ...

    def get(self, name: str) -> bytes:
        """Return the bytes under `name`; raise BlobNotFoundError."""
        ...

    def exists(self, name: str) -> bool:
        """Tell whether `name` is stored."""
        ...


class QueueClient(Protocol):
    """Queues that code writes to itself (replay, deferral, the local host)."""

    def send(self, queue: str, body: str, delay: float = 0) -> None:
        """Append a message to `queue`, hidden for its first `delay` seconds."""
        ...

    def move_poison(self, queue: str) -> int:
        """Put every message of `queue`'s poison queue back; return how many."""
        ...
