"""Gather what the ledger knows about a mail's thread, for the pure decision."""

from __future__ import annotations

from collections.abc import Callable

from handlers.ledger import Ledger, ThreadRow
from mailroom.config import Config
from mailroom.models import NormalizedMail
from mailroom.threads import ThreadContext, ThreadRecord, thread_candidates

Reader = Callable[[str, str], ThreadRow | None]


def load_thread_context(
    mail: NormalizedMail,
    config: Config,
    ledger: Ledger,
    conversation_id: str | None = None,
    mail_key: str | None = None,
) -> ThreadContext:
    """Look up every Message-ID, conversation, token and key the mail names.

    The mail's own Message-ID is looked up too: an answer that arrived
    before it may have tied it to the answer's ticket. A row of the mail
    itself (`mail_key`) is no such answer.
    """
    tools = list(config.trackers)
    projects = [p for tool in config.trackers.values() for p in tool.key_prefixes]

    lookup = thread_candidates(mail, projects, conversation_id, config.threading)

    return ThreadContext(
        by_message_id=find_records(
            lookup.all_ids(), not_own(ledger.thread, mail_key), tools, ledger
        ),
        by_answer=find_records(own_id(mail), answered(ledger, mail_key), tools, ledger),
        by_key=find_records(lookup.keys, ledger.ticket, tools, ledger),
        by_token=find_records(lookup.tokens, ledger.token, tools, ledger),
        by_conversation=find_records(
            lookup.conversation_keys, ledger.conversation, tools, ledger
        ),
    )


def find_records(
    keys: list[str], read: Reader, tools: list[str], ledger: Ledger
) -> dict[str, ThreadRecord]:
    """Map each key that leads to a ticket in some tool to its thread record."""
    records: dict[str, ThreadRecord] = {}
    for key in keys:
        record = merge({tool: read(tool, key) for tool in tools}, ledger)
        if record is not None:
            records.setdefault(key, record)
    return records


def merge(rows: dict[str, ThreadRow | None], ledger: Ledger) -> ThreadRecord | None:
    """Combine one thread's rows from several tools into a record.

    The thread is closed when every one of its tickets is.
    """
    found = {tool: row for tool, row in rows.items() if row is not None}
    if not found:
        return None
    states = [ledger.ticket_state(tool, row.key) for tool, row in found.items()]
    closed_at = [state.closed_at for state in states if state.closed_at]
    return ThreadRecord(
        tickets={tool: row.key for tool, row in found.items()},
        subject=next(iter(found.values())).subject,
        closed=all(state.closed for state in states),
        closed_at=max(closed_at, default=None),
    )


def own_id(mail: NormalizedMail) -> list[str]:
    """Return the mail's own Message-ID as a lookup list (empty without one)."""
    return [mail.message_id] if mail.message_id else []


def not_own(read: Reader, mail_key: str | None) -> Reader:
    """Return `read` without the rows the mail itself (`mail_key`) left.

    A mail ties the ids it answers to the tickets it is opening; decided
    again (a lost race, a second copy), it must not find itself there and
    become a reply to its own ticket.
    """

    def read_others(tool: str, message_id: str) -> ThreadRow | None:
        row = read(tool, message_id)
        return None if row is None or row.mail_key == mail_key else row

    return read_others if mail_key is not None else read


def answered(ledger: Ledger, mail_key: str | None) -> Reader:
    """Return a reader of the rows other mails' answers tied an id to.

    A row the mail itself left (`mail_key`), or a copy of it in another
    mailbox, is no answer to it.
    """

    def read(tool: str, message_id: str) -> ThreadRow | None:
        row = ledger.thread(tool, message_id)
        if row is None or not row.from_answer or row.mail_key == mail_key:
            return None
        return row

    return read
