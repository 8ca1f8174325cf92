"""What a changed configuration would decide differently, mail by mail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from handlers.ledger import Ledger, original_blob
from mailroom.config import Config
from mailroom.models import MailboxItem
from mailroom.ports import BlobStore, KeyValueStore
from runtime import wiring
from runtime.explain import (
    Arrival,
    Decision,
    decide_arrival,
    file_arrival,
    ledger_store,
    now,
    report_of,
)

COMPARED = ("outcome", "classification", "thread", "route", "fields")


def diff_configs(
    arrivals: Iterable[Arrival], current: Config, changed: Config, store: KeyValueStore
) -> list[dict[str, Any]]:
    """Return, per mail, the decisions a changed configuration alters.

    Each mail is decided as if it arrived now: never a duplicate of itself,
    while a reply still threads to the tickets of the mails it answers.
    """
    at = now()
    differences: list[dict[str, Any]] = []
    for arrival in arrivals:
        before = decide_arrival(arrival, current, store, at)
        after = decide_arrival(arrival, changed, store, at, before.parsed)
        old, new = as_new(before, current), as_new(after, changed)
        changes = {
            part: {"before": old[part], "after": new[part]}
            for part in COMPARED
            if old[part] != new[part]
        }
        if changes:
            differences.append(
                {
                    "mail": old["dedupe_key"],
                    "subject": old["mail"]["subject"],
                    "source": arrival.name,
                    "changes": changes,
                }
            )
    return differences


def as_new(decision: Decision, config: Config) -> dict[str, Any]:
    """Report a decision as if its mail had never been seen."""
    return report_of(replace(decision, seen=None), config)


def diff_file(
    raw: bytes, name: str, current: Config, changed: Config, mailbox: str | None
) -> list[dict[str, Any]]:
    """Return what a changed configuration alters for one mail file."""
    arrival = file_arrival(raw, name, current, mailbox)
    return diff_configs([arrival], current, changed, ledger_store(current))


def diff_stored(current: Config, changed: Config) -> list[dict[str, Any]]:
    """Return what a changed configuration alters for every stored mail."""
    from adapters.blobs.folder import FolderBlobs

    store = ledger_store(current)
    blobs = FolderBlobs(wiring.data_dir(current) / "blobs")
    arrivals = stored_arrivals(Ledger(store), blobs)
    return diff_configs(arrivals, current, changed, store)


def stored_arrivals(ledger: Ledger, blobs: BlobStore) -> Iterator[Arrival]:
    """Yield each mail whose original is stored, in the order it arrived."""
    for record in sorted(ledger.mails(), key=lambda record: record.recorded_at):
        name = original_blob(record)
        if not blobs.exists(name):
            continue
        item = MailboxItem(
            mailbox=record.mailbox,
            folder="",
            item_id=record.item_id,
            conversation_id=record.conversation_id,
        )
        source = f"{record.mailbox} item {record.item_id}"
        yield Arrival(blobs.get(name), item, source, known_as=record.key)
