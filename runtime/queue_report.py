"""How full each queue is, and why its poison messages were set aside.

A message quarantined by its stage reaches the poison queue through the
function's output binding, which carries the body only; its stage and
reason are in the ledger's `quarantine` table, under the body's hash. A
message that ran out of tries on the local host has its reason in the
SQLite queue itself. Both are shown, never the body: it names mailboxes
and items.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from adapters.queues.sqlite import PoisonedMessage
from handlers.stage import message_hash
from mailroom.ports import KeyValueStore

QUEUES = (
    "mail-changes",
    "lifecycle-events",
    "deliveries",
    "acknowledgements",
    "tool-events",
)
QUARANTINE = "quarantine"
# Exception texts may quote a URL or a value that holds an address.
ADDRESS = re.compile(r"[^\s<>\"'(),;:/@]+@[^\s<>\"'(),;:/@]+")


class InspectedQueues(Protocol):
    """What a report needs of the queues: SQLite or Azure Storage alike."""

    def depth(self, queue: str) -> int:
        """Count a queue's messages."""
        ...

    def poison_counts(self) -> dict[str, int]:
        """Count poison messages per queue."""
        ...

    def poison_messages(self, queue: str) -> list[PoisonedMessage]:
        """List the messages of a queue's poison queue, oldest first."""
        ...


def queue_depths(queues: InspectedQueues) -> list[dict[str, Any]]:
    """Return each queue's waiting messages and its poison messages."""
    poison = queues.poison_counts()
    return [
        {"queue": name, "depth": queues.depth(name), "poison": poison.get(name, 0)}
        for name in QUEUES
    ]


def poison_details(
    queues: InspectedQueues, store: KeyValueStore, names: tuple[str, ...] = QUEUES
) -> list[dict[str, Any]]:
    """Return each poison message's id, tries and reason, without its body."""
    details: list[dict[str, Any]] = []
    for name in names:
        for message in queues.poison_messages(name):
            details.append(poison_detail(name, message, store))
    return details


def poison_detail(
    queue: str, message: PoisonedMessage, store: KeyValueStore
) -> dict[str, Any]:
    """Describe one poison message by its stored reason."""
    digest = message_hash(message.body.encode("utf-8"))
    quarantined = store.get(QUARANTINE, digest)
    detail: dict[str, Any] = {
        "queue": queue,
        "id": message.id,
        "dequeue_count": message.dequeue_count,
        "message_hash": digest,
        "stage": None,
        "at": None,
        "reason": mask_addresses(message.reason) or None,
    }
    # A reason on the message itself is the queue's, given when it parked
    # this very message; the stage's record may be of an earlier episode.
    if quarantined is not None and not message.reason:
        detail["stage"] = quarantined.get("stage")
        detail["at"] = quarantined.get("at")
        detail["reason"] = mask_addresses(str(quarantined.get("reason", "")))
    return detail


def mask_addresses(text: str) -> str:
    """Replace every mail address in `text` with a placeholder."""
    return ADDRESS.sub("(address)", text)


def depth_lines(depths: list[dict[str, Any]]) -> list[str]:
    """Return a header and one line per queue: name, depth, poison count."""
    width = max(len(name) for name in QUEUES)
    lines = [f"{'queue':<{width}}  {'depth':>5}  {'poison':>6}"]
    for row in depths:
        lines.append(f"{row['queue']:<{width}}  {row['depth']:>5}  {row['poison']:>6}")
    return lines


def poison_lines(details: list[dict[str, Any]]) -> list[str]:
    """Return one line per poison message: queue, id, tries, and why."""
    if not details:
        return ["no poison messages"]
    return [
        f"{detail['queue']}-poison  {detail['id']}  "
        f"dequeued {detail['dequeue_count']}  {why(detail)}"
        for detail in details
    ]


def why(detail: dict[str, Any]) -> str:
    """Say why a message was set aside, from what was stored about it."""
    if detail["stage"] is not None:
        return f"quarantined by {detail['stage']} at {detail['at']}: {detail['reason']}"
    if detail["reason"]:
        return str(detail["reason"])
    return "no reason stored: the queue gave up after its tries (see the log)"
