"""Gather what the ledger knows about a mail's thread, for the pure decision."""

from __future__ import annotations

from handlers.ledger import Ledger, ThreadRow
from mailroom.config import Config
from mailroom.models import NormalizedMail
from mailroom.threads import ThreadContext, ThreadRecord, thread_candidates


def load_thread_context(
    mail: NormalizedMail, config: Config, ledger: Ledger
) -> ThreadContext:
    """Look up every Message-ID and ticket key the mail refers to."""
    tools = list(config.trackers)
    projects = [p for tool in config.trackers.values() for p in tool.key_prefixes]

    lookup = thread_candidates(mail, projects)

    by_message_id: dict[str, ThreadRecord] = {}
    for message_id in lookup.all_ids():
        rows = {tool: ledger.thread(tool, message_id) for tool in tools}
        record = merge(rows)
        if record is not None:
            by_message_id.setdefault(message_id, record)

    by_key: dict[str, ThreadRecord] = {}
    for key in lookup.keys:
        record = merge({tool: ledger.ticket(tool, key) for tool in tools})
        if record is not None:
            by_key[key] = record

    return ThreadContext(by_message_id=by_message_id, by_key=by_key)


def merge(rows: dict[str, ThreadRow | None]) -> ThreadRecord | None:
    """Combine one thread's rows from several tools into a record."""
    found = {tool: row for tool, row in rows.items() if row is not None}
    if not found:
        return None
    subject = next(iter(found.values())).subject
    return ThreadRecord(
        tickets={tool: row.key for tool, row in found.items()}, subject=subject
    )
