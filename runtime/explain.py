"""A dry run of every decision Mailroom takes about one mail.

The decision is ingest's own: the same attachment limits, dedupe key,
unreadable check and `decide`, over a view of the ledger that cannot be
written. The acknowledgement is rendered as acknowledge renders it, with
placeholders for the ticket keys that do not exist yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.state.memory import MemoryStore
from handlers.deliver import OPENING
from handlers.ingest import (
    decide,
    identity_bytes,
    mail_key,
    own_key,
    unfinished,
    unreadable_record,
)
from handlers.ledger import Ledger, MailRecord, pending_mail
from mailroom.acknowledgement import ack_message_id, render_acknowledgement
from mailroom.attachments import apply_limits
from mailroom.classify import classify
from mailroom.config import AttachmentConfig, Config
from mailroom.errors import PermanentError
from mailroom.mailcheck import unreadable_reason
from mailroom.messages import DeliveryRequest
from mailroom.mime import parse_mail
from mailroom.mime_spool import MimeSpool
from mailroom.models import (
    FetchedMail,
    MailboxItem,
    NormalizedMail,
    ParsedMail,
    TicketRef,
)
from mailroom.ports import KeyValueStore
from mailroom.tickets import draft_comment, ticket_summary
from runtime import wiring
from runtime.explain_ports import ReadOnlyView, dry_services

CHUNK = 1024 * 1024
UNTHREADED = "bytes that are not a mail are not threaded"


@dataclass(frozen=True)
class Arrival:
    """A mail to decide: its MIME, the mailbox item it is, and its name."""

    raw: bytes
    item: MailboxItem
    name: str
    # The key a stored mail is known by: the decision ignores its records.
    known_as: str | None = None


@dataclass(frozen=True)
class Decision:
    """What ingest would record for a mail, and the mail it would keep."""

    record: MailRecord
    mail: NormalizedMail
    seen: MailRecord | None
    # What ingest would carry out for a mail seen before: what is unfinished.
    resumed: list[DeliveryRequest] = field(default_factory=list)
    # The tickets a mail seen before has reached, by tool.
    reached: dict[str, TicketRef] = field(default_factory=dict)
    # The parse of the whole MIME, when ingest would read it whole.
    parsed: ParsedMail | None = None


def explain_mail(raw: bytes, config: Config, mailbox: str | None) -> dict[str, Any]:
    """Return what Mailroom would decide for `raw`, and why; write nothing."""
    arrival = file_arrival(raw, "", config, mailbox)
    decision = decide_arrival(arrival, config, ledger_store(config), now())
    return report_of(decision, config)


def file_arrival(raw: bytes, name: str, config: Config, mailbox: str | None) -> Arrival:
    """Return a mail file as the configured mailbox would hand it in.

    The local mailbox gives each mail a conversation id of its own making;
    Graph's fetch gives none.
    """
    address = mailbox or config.mailboxes[0].address
    conversation = None
    if config.mail.kind == "local":
        from adapters.mail.local_mime import conversation_id

        conversation = conversation_id(raw)
    item = MailboxItem(
        mailbox=address, folder="", item_id="", conversation_id=conversation
    )
    return Arrival(raw=raw, item=item, name=name)


def decide_arrival(
    arrival: Arrival,
    config: Config,
    store: KeyValueStore,
    at: datetime,
    parsed: ParsedMail | None = None,
) -> Decision:
    """Decide a mail as ingest would on fetching it, as if it arrived `at`.

    `parsed` is the parse of the whole MIME, when the caller has it already.
    """
    fetched = fetch(arrival, config)
    whole = None
    if fetched.left_off_token is None:
        whole = parsed or parse_mail(fetched.raw)
    found = whole or parse_mail(fetched.raw, fetched.left_off_token)
    mail = apply_limits(found, config.attachments).mail
    item = arrival.item
    key = mail_key(
        item.mailbox, mail, item.item_id or None, identity_bytes(fetched), config
    )
    known = Ledger(store)
    key, seen = own_key(key, mail, known)

    ledger = Ledger(ReadOnlyView(store, [key, arrival.known_as]))
    services = dry_services(config, at)
    unreadable = unreadable_reason(mail, fetched.raw)
    if unreadable is None:
        record = decide(key, mail, item, services, ledger)
    else:
        record = unreadable_record(key, item, unreadable, services)
    if seen is None:
        return Decision(record, mail, None, parsed=whole)
    resumed = unfinished(seen, known)
    reached = tickets_reached(seen, known)
    return Decision(record, mail, seen, resumed, reached, parsed=whole)


def tickets_reached(record: MailRecord, ledger: Ledger) -> dict[str, TicketRef]:
    """Return, by tool, the ticket each finished delivery of a mail reached.

    An opening delivery records its ticket. A comment or a note records
    none: its ticket is the one it named, or, for a placeholder, the one
    the original opened; the URL is the one that ticket's opening recorded.
    """
    reached: dict[str, TicketRef] = {}
    for request in record.deliveries:
        done = ledger.delivery(record.key, request.tool)
        if done is None:
            continue
        ticket = done.ticket or named_ticket(request, ledger)
        if ticket is not None:
            reached[request.tool] = ticket
    return reached


def named_ticket(request: DeliveryRequest, ledger: Ledger) -> TicketRef | None:
    """Return the ticket a finished comment or note was added to."""
    key = request.ticket_key
    waiting_for = pending_mail(key) if key else None
    if waiting_for is not None:
        opening = ledger.delivery(waiting_for, request.tool)
        key = opening.ticket.key if opening and opening.ticket else None
    if not key:
        return None
    row = ledger.ticket(request.tool, key)
    opening = ledger.delivery(row.mail_key, request.tool) if row else None
    if opening is not None and opening.ticket is not None:
        return opening.ticket
    # A ticket Mailroom did not open (its key was in the subject): no URL.
    return TicketRef(tool=request.tool, key=key, url="")


def fetch(arrival: Arrival, config: Config) -> FetchedMail:
    """Return the MIME ingest would get: Graph spools a large mail's skeleton."""
    raw = arrival.raw
    if config.mail.kind == "graph":
        from adapters.mail.graph import MEMORY_BYTES

        if len(raw) > MEMORY_BYTES:
            skeleton, token = spool(raw, config.attachments)
            return FetchedMail(item=arrival.item, raw=skeleton, left_off_token=token)
    return FetchedMail(item=arrival.item, raw=raw)


def spool(raw: bytes, limits: AttachmentConfig) -> tuple[bytes, str]:
    """Return the skeleton of `raw` without its files past a limit, and its mark."""
    token = secrets.token_hex(8)
    spooler = MimeSpool(token, limits.max_bytes, limits.max_total_bytes)
    view = memoryview(raw)
    for start in range(0, len(raw), CHUNK):
        spooler.feed(bytes(view[start : start + CHUNK]))
    return spooler.finish(), token


def report_of(decision: Decision, config: Config) -> dict[str, Any]:
    """Describe a decision: the mail, each decision and its reason, the outcome.

    The decisions are those the mail would get if it were new; a mail the
    ledger knows has them too, and `stored` says what it got and what
    ingest would do with it now.
    """
    record, mail = decision.record, decision.mail
    tickets = {d.tool: d.ticket_key for d in record.deliveries if d.ticket_key}
    stored = None
    if decision.seen is not None:
        stored = stored_state(decision.seen, decision.resumed, decision.reached)
    report: dict[str, Any] = {
        "dedupe_key": record.key,
        "stored": stored,
        "mail": mail_summary(mail),
        "classification": classification(record, mail, config),
        "thread": {
            "signal": record.thread_signal,
            "reason": record.thread_reason or UNTHREADED,
            "tickets": tickets,
            "reopen": record.reopen,
        },
        "route": record.route,
        "requester": requester(record),
        "fields": {
            "values": record.fields,
            "problems": [p.model_dump(mode="json") for p in record.problems],
        },
        "deliveries": [delivery(request) for request in record.deliveries],
    }
    return report | outcome(record, mail, config)


def stored_state(
    seen: MailRecord, resumed: list[DeliveryRequest], reached: dict[str, TicketRef]
) -> dict[str, Any]:
    """Describe a mail the ledger knows: what it got, and what happens now.

    Ingest takes it as a duplicate and only resends what is unfinished.
    """
    then = "its unfinished deliveries are resent" if resumed else "nothing happens"
    return {
        "outcome": "duplicate",
        "reason": f"this mail is stored already; if it came again, {then}",
        "recorded": {
            "status": seen.status,
            "kind": seen.kind,
            "reason": seen.reason,
            "at": seen.recorded_at.isoformat(),
            "tickets": {
                tool: {"key": ref.key, "url": ref.url or None}
                for tool, ref in reached.items()
            },
        },
        "resent": [delivery(request) for request in resumed],
    }


def delivery(request: DeliveryRequest) -> dict[str, Any]:
    """Return a delivery as explain shows it."""
    return {
        "tool": request.tool,
        "action": request.action,
        "ticket": request.ticket_key,
    }


def mail_summary(mail: NormalizedMail) -> dict[str, Any]:
    """Return what identifies a mail and what it carries."""
    return {
        "message_id": mail.message_id,
        "subject": mail.subject,
        "from": mail.sender.model_dump() if mail.sender else None,
        "importance": mail.importance,
        "attachments": [a.model_dump() for a in mail.attachments],
        "left_off": [item.model_dump() for item in mail.oversized],
        "cloud_links": [link.model_dump() for link in mail.cloud_links],
        "defects": mail.defects,
    }


def classification(
    record: MailRecord, mail: NormalizedMail, config: Config
) -> dict[str, Any]:
    """Return the kind of mail with the signal that said so.

    The record keeps the kind, not always its reason (a skip for want of a
    route records the route's), so the pure classifier is asked again.
    """
    if record.kind == "unreadable":
        return {"kind": record.kind, "reason": record.reason, "acknowledge": False}
    watched = [box.address for box in config.mailboxes]
    runtime = config.runtime
    kind = classify(
        mail, record.mailbox, watched, runtime.marker_header, runtime.message_id_domain
    )
    return kind.model_dump()


def requester(record: MailRecord) -> dict[str, Any] | None:
    """Return who the ticket is raised for, and why, when ingest chose."""
    if record.requester_reason is None:
        return None
    address = record.requester.model_dump() if record.requester else None
    return {"address": address, "reason": record.requester_reason}


def outcome(record: MailRecord, mail: NormalizedMail, config: Config) -> dict[str, Any]:
    """Describe the ticket, comment or skip, and the acknowledgement."""
    actions = {request.action for request in record.deliveries}
    if actions & set(OPENING):
        summary = ticket_summary(mail.subject)
        ticket = {"outcome": "ticket", "reason": record.reason, "summary": summary}
        return ticket | acknowledgement(record, mail, config)
    if "comment" in actions:
        outgoing = record.kind == "sent"
        comment = draft_comment(mail, record.key, public=True, outgoing=outgoing)
        body = {"comment": comment.body, "acknowledgement": None}
        return {"outcome": "comment", "reason": record.reason} | body
    return {"outcome": "skip", "reason": record.reason, "acknowledgement": None}


def acknowledgement(
    record: MailRecord, mail: NormalizedMail, config: Config
) -> dict[str, Any]:
    """Render the acknowledgement acknowledge would send, keys as placeholders."""
    if not record.acknowledge or not config.acknowledgement.enabled:
        return {"acknowledgement": None}
    tickets = [
        TicketRef(tool=d.tool, key=f"({d.tool} key)", url="(ticket URL)")
        for d in record.deliveries
        if d.action in OPENING
    ]
    runtime = config.runtime
    try:
        ack = render_acknowledgement(
            mail,
            tickets,
            record.problems,
            config.acknowledgement,
            ack_message_id(record.key, runtime.message_id_domain),
            runtime.marker_header,
            record.key,
            watched=[box.address for box in config.mailboxes],
        )
    except PermanentError as exc:
        return {"acknowledgement": None, "acknowledgement_error": str(exc)}
    return {"acknowledgement": ack.model_dump(mode="json")}


def ledger_store(config: Config) -> KeyValueStore:
    """Open the ledger of the data folder if one exists; never create one."""
    path = wiring.data_dir(config) / "state.sqlite3"
    if not path.exists():
        return MemoryStore()
    from adapters.state.sqlite import SqliteStore

    return SqliteStore(path)


def now() -> datetime:
    """Return the moment a dry run decides at."""
    return datetime.now(UTC)
