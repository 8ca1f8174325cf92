"""Azure Storage queues, with the methods the local host uses on SqliteQueues.

In Azure the Functions host drains the queues itself; Mailroom's own code
enqueues (replay, catch-up by hand) and the local host may use Azurite
instead of SQLite. Messages are Base64 text on the wire, the encoding the
Functions queue trigger and output binding expect by default, so a message
sent here reaches a queue-triggered function unchanged and the other way
round.

Leases are Azure's visibility timeouts and pop receipts. A receiver that
dies leaves its message invisible until its timeout ends, then anyone may
take it again; there is no owner to release, so `release_owner_leases`
does nothing here.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import TYPE_CHECKING

from azure.core.exceptions import HttpResponseError, ResourceExistsError

from adapters.azure_storage import StorageAccount
from adapters.queues.sqlite import (
    MAX_MESSAGE_BYTES,
    POISON_SUFFIX,
    PoisonedMessage,
    QueuedMessage,
    check_queue_name,
)
from mailroom.errors import PermanentError

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient, QueueServiceClient

logger = logging.getLogger(__name__)

# Azure keeps a message invisible for at least 1 s and at most 7 days.
MAX_VISIBILITY_SECONDS = 7 * 24 * 3600
PEEK_LIMIT = 32
# Leased bodies kept for move_to_poison; far above what workers hold at once.
MAX_HELD = 1024
# Queues the Functions host keeps for itself in the same account.
HOST_QUEUE_PREFIX = "azure-webjobs-"
# The service answers these when a pop receipt no longer holds the message.
LOST_LEASE_CODES = {"MessageNotFound", "PopReceiptMismatch"}


class AzureQueues:
    """Serve the QueueClient port, and what the local host needs, from Azure."""

    def __init__(self, account: StorageAccount) -> None:
        self._account = account
        self._service = _service_client(account)
        self._clients: dict[str, QueueClient] = {}
        # Bodies of the messages this process holds, for move_to_poison:
        # Azure cannot read a message back while it is invisible.
        self._bodies: dict[tuple[str, str], str] = {}

    def send(self, queue: str, body: str, delay: float = 0) -> None:
        """Append a message to `queue`, hidden for its first `delay` seconds."""
        check_queue_name(queue)
        encoded = len(base64.b64encode(body.encode("utf-8")))
        if encoded > MAX_MESSAGE_BYTES:
            raise PermanentError(
                f"a message for queue {queue!r} is larger than 64 KB once "
                "Base64-encoded; put the payload in blob storage and send a "
                "reference"
            )
        with self._translate(f"send to queue {queue!r}"):
            self._client(queue).send_message(
                body, visibility_timeout=_seconds(delay, minimum=0)
            )

    def receive(
        self, queue: str, visibility_timeout: float, owner: str
    ) -> QueuedMessage | None:
        """Lease the next visible message of `queue`, or return None."""
        with self._translate(f"receive from queue {queue!r}"):
            message = self._client(queue).receive_message(
                visibility_timeout=_seconds(visibility_timeout)
            )
        if message is None:
            return None
        if len(self._bodies) >= MAX_HELD:
            self._bodies.pop(next(iter(self._bodies)))
        self._bodies[(queue, message.id)] = message.content
        return QueuedMessage(
            id=message.id,
            queue=queue,
            body=message.content,
            dequeue_count=message.dequeue_count or 1,
            pop_token=message.pop_receipt or "",
        )

    def delete(self, queue: str, id: str, pop_token: str) -> bool:
        """Remove a finished message; return False if the lease was lost."""
        with self._lease(queue, id) as held:
            self._client(queue).delete_message(id, pop_token)
        return held.ok

    def release(self, queue: str, id: str, pop_token: str, delay: float) -> bool:
        """Make a failed message visible again after `delay` seconds."""
        with self._lease(queue, id) as held:
            self._client(queue).update_message(
                id, pop_token, visibility_timeout=_seconds(delay, minimum=0)
            )
        return held.ok

    def move_to_poison(self, queue: str, id: str, pop_token: str, reason: str) -> bool:
        """Park a message in `<queue>-poison`; its reason goes to the log.

        Azure queue messages carry no reason, and the Functions host's own
        poison messages are the bare body, so both look the same to replay.
        The body is copied before the original is deleted: a crash between
        the two leaves the message in both queues, never in neither. Only a
        message this object received can be moved.
        """
        body = self._bodies.get((queue, id))
        if body is None:
            return False
        with self._lease(queue, id) as held:
            # Extending the lease proves it still holds before anything moves.
            renewed = self._client(queue).update_message(
                id, pop_token, visibility_timeout=60
            )
        if not held.ok:
            return False

        self.send(queue + POISON_SUFFIX, body)
        moved = self.delete(queue, id, renewed.pop_receipt or "")
        if moved:
            logger.warning("queue.poisoned", extra={"queue": queue, "message_id": id})
        return moved

    def park(self, queue: str, body: str, dequeue_count: int) -> None:
        """Put `body` in `<queue>-poison`, as the poison output binding does.

        An Azure queue message carries no settable dequeue count, and finding
        a copy parked before would mean reading the whole poison queue, so
        unlike the SQLite queues this adds the body as it is.
        """
        del dequeue_count  # not settable on an Azure queue message
        self.send(queue + POISON_SUFFIX, body)

    def move_poison(self, queue: str) -> int:
        """Put every message of `queue`'s poison queue back; return how many."""
        poison = queue + POISON_SUFFIX
        moved = 0
        while True:
            with self._translate(f"receive from queue {poison!r}"):
                batch = list(
                    self._client(poison).receive_messages(
                        max_messages=PEEK_LIMIT, visibility_timeout=300
                    )
                )
            if not batch:
                break
            for message in batch:
                self.send(queue, message.content)
                self.delete(poison, message.id, message.pop_receipt or "")
                moved += 1
        logger.info("queue.replayed", extra={"queue": queue, "count": moved})
        return moved

    def poison_messages(self, queue: str) -> list[PoisonedMessage]:
        """List up to 32 messages of `queue`'s poison queue, oldest first."""
        poison = queue + POISON_SUFFIX
        with self._translate(f"peek at queue {poison!r}"):
            peeked = self._client(poison).peek_messages(max_messages=PEEK_LIMIT)
        return [
            PoisonedMessage(
                id=m.id, body=m.content, dequeue_count=m.dequeue_count or 0, reason=""
            )
            for m in peeked
        ]

    def release_owner_leases(self, except_owner: str) -> int:
        """Do nothing: Azure ends a dead receiver's lease by its timeout."""
        return 0

    def depth(self, queue: str) -> int:
        """Count the messages of `queue`, visible or leased (approximately)."""
        with self._translate(f"count the messages of queue {queue!r}"):
            properties = self._client(queue).get_queue_properties()
        return int(properties.approximate_message_count or 0)

    def pending(self) -> int:
        """Count the messages waiting in every queue but the poison ones."""
        names = [n for n in self._queue_names() if not n.endswith(POISON_SUFFIX)]
        return sum(self.depth(name) for name in names)

    def poison_counts(self) -> dict[str, int]:
        """Count poison messages per source queue (the name move_poison takes)."""
        counts = {
            name.removesuffix(POISON_SUFFIX): self.depth(name)
            for name in self._queue_names()
            if name.endswith(POISON_SUFFIX)
        }
        return {name: count for name, count in counts.items() if count}

    def close(self) -> None:
        """Close the HTTP connections."""
        for client in self._clients.values():
            client.close()
        self._service.close()

    def _client(self, queue: str) -> QueueClient:
        """Return the client of a queue, creating the queue on first use."""
        client = self._clients.get(queue)
        if client is not None:
            return client

        check_queue_name(queue)
        from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy

        client = self._service.get_queue_client(
            self._account.name(queue),
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
        )
        creating = self._translate(f"create queue {queue!r}")
        with creating, suppress(ResourceExistsError):
            client.create_queue()
        self._clients[queue] = client
        return client

    def _queue_names(self) -> list[str]:
        """Return this installation's queue names, without the prefix."""
        prefix = self._account.name("")
        with self._translate("list the queues"):
            listed = [
                q.name for q in self._service.list_queues(name_starts_with=prefix)
            ]
        return [
            name.removeprefix(prefix)
            for name in listed
            if not name.startswith(HOST_QUEUE_PREFIX)
        ]

    @contextmanager
    def _lease(self, queue: str, id: str) -> Iterator[_Lease]:
        """Report a lost lease as `ok = False` instead of an error."""
        held = _Lease()
        with self._translate(f"settle a message of queue {queue!r}"):
            try:
                yield held
            except HttpResponseError as exc:
                if getattr(exc, "error_code", None) not in LOST_LEASE_CODES:
                    raise
                held.ok = False
        if held.ok:
            self._bodies.pop((queue, id), None)

    def _translate(self, what: str) -> AbstractContextManager[None]:
        return self._account.translate("queue", what)


class _Lease:
    """Whether a pop receipt still held its message."""

    ok = True


def _seconds(value: float, minimum: int = 1) -> int:
    """Round a time-out up to whole seconds within Azure's limits."""
    return max(minimum, min(MAX_VISIBILITY_SECONDS, math.ceil(value)))


def _service_client(account: StorageAccount) -> QueueServiceClient:
    """Open the account's queue service, by connection string or identity."""
    from azure.storage.queue import QueueServiceClient

    connection = account.connection_string()
    if connection is not None:
        return QueueServiceClient.from_connection_string(connection, **account.options)
    return QueueServiceClient(
        account.endpoint("queue"), credential=account.credential(), **account.options
    )
