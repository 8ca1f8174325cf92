"""Ingest: fetch a changed mail, dedupe, classify, thread, route, store.

Its output is one delivery request per target tool. A mail seen before (a
retried notification, a move between folders, a second copy) yields only
the deliveries that have not finished yet, so nothing is lost or doubled.
"""

from __future__ import annotations

import logging

from handlers.claims import claim, working_alone
from handlers.ledger import Ledger, MailRecord, ThreadRow, pending_key, raw_name
from handlers.observe import Unit, unit_of_work
from handlers.services import Services
from handlers.threading_context import load_thread_context
from mailroom.attachments import apply_limits
from mailroom.classify import classify
from mailroom.config import Config
from mailroom.errors import MessageNotFoundError
from mailroom.fields import extract_fields
from mailroom.forwards import choose_requester, parse_forwarded_header
from mailroom.identity import dedupe_key, fingerprint, reused_id_key
from mailroom.mailcheck import unreadable_reason
from mailroom.messages import DeliveryRequest, MailChange
from mailroom.mime import parse_mail
from mailroom.models import (
    Classification,
    FetchedMail,
    FieldProblem,
    MailboxItem,
    NormalizedMail,
    OversizedFile,
    ParsedMail,
    ThreadDecision,
)
from mailroom.routing import choose_route
from mailroom.threads import decide_thread
from mailroom.tickets import ticket_summary

logger = logging.getLogger(__name__)
# `updated` notifications of one mail within this many seconds are one edit.
MODIFY_WINDOW = 60.0


def handle_change(change: MailChange, services: Services) -> list[DeliveryRequest]:
    """Turn one mail change into the deliveries it still needs."""
    ledger = Ledger(services.store)
    mailbox = resolve_mailbox(change, ledger, services.config)
    with unit_of_work(logger, "ingest.change", item_id=change.item_id) as unit:
        unit.note(change_type=change.change_type, source=change.source)
        if mailbox is None:
            logger.warning(
                "ingest.not_ours",
                extra={"subscription_id": change.subscription_id},
            )
            unit.outcome = "not-ours"
            return []
        unit.note(mailbox=mailbox)
        if change.change_type == "deleted":
            unit.outcome = "ignored"
            return []

        known = ledger.item(mailbox, change.item_id)
        record = ledger.mail(known) if known else None
        if record is not None:
            unit.note(mail_key=record.key)
            return follow_up(record, change, services, unit)

        try:
            fetched = services.mail.fetch_message(mailbox, change.item_id)
        except MessageNotFoundError:
            unit.outcome = "gone"
            return []
        return ingest_fetched(fetched, services, ledger, unit)


def resolve_mailbox(change: MailChange, ledger: Ledger, config: Config) -> str | None:
    """Return the watched mailbox a change is about; None if it is not ours.

    A notification counts only through a subscription Mailroom made: the
    mailbox is the one that subscription watches, whatever the resource
    says, so a notification cannot point Mailroom at another mailbox. A
    catch-up change names its mailbox from the configuration.
    """
    mailbox: str | None = change.mailbox
    if change.subscription_id is not None:
        row = ledger.subscription(change.subscription_id)
        mailbox = None if row is None else row.mailbox
    watched = {box.address.lower() for box in config.mailboxes}
    return mailbox if mailbox is not None and mailbox.lower() in watched else None


def follow_up(
    record: MailRecord, change: MailChange, services: Services, unit: Unit
) -> list[DeliveryRequest]:
    """Handle a change of a mail already ingested: resume or record a modify.

    Graph may deliver one notification more than once, and one edit of a
    mail may raise several: the `updated` notifications of one mail within
    MODIFY_WINDOW seconds make one modify event.
    """
    ledger = Ledger(services.store)
    pending = unfinished(record, ledger)
    if change.change_type == "updated" and not pending:
        key, now = f"modified|{record.key}", services.now()
        if not claim(services.store, key, services.new_nonce(), now, MODIFY_WINDOW):
            unit.outcome = "modified-again"
            return []
        unit.outcome = "modified"
        return modify_events(record, ledger)
    unit.outcome = "duplicate"
    unit.note(resumed=len(pending))
    return pending


def ingest_fetched(
    fetched: FetchedMail, services: Services, ledger: Ledger, unit: Unit
) -> list[DeliveryRequest]:
    """Decide what a freshly fetched mail becomes, store it, and route it."""
    item = fetched.item
    config = services.config
    parsed = apply_limits(
        parse_mail(fetched.raw, fetched.left_off_token), config.attachments
    )
    key = mail_key(
        item.mailbox, parsed.mail, item.item_id, identity_bytes(fetched), config
    )
    unit.note(mail_key=key)
    if parsed.mail.defects:  # how many; what they are is in the stored mail
        unit.note(defects=len(parsed.mail.defects))

    # Two copies of one mail (a notification sent twice, catch-up beside a
    # slow ingest, a move) must not both decide: the second would find the
    # threads the first tied and take the mail for a reply to itself.
    busy = f"mail {key} is being ingested by another worker"
    with working_alone(services, f"ingest|{key}", busy):
        key, existing = own_key(key, parsed.mail, ledger)
        unit.note(mail_key=key)
        if existing is not None:
            ledger.save_item(item.mailbox, item.item_id, key)
            unit.outcome = "duplicate"
            return unfinished(existing, ledger)
        record = decide_and_store(key, fetched, parsed, services, ledger)
    unit.outcome = record.status
    unit.note(kind=record.kind, signal=record.thread_signal, route=record.route)
    return list(record.deliveries)


def decide_and_store(
    key: str,
    fetched: FetchedMail,
    parsed: ParsedMail,
    services: Services,
    ledger: Ledger,
) -> MailRecord:
    """Decide a mail seen for the first time, keep it, and record it."""
    item = fetched.item
    unreadable = unreadable_reason(parsed.mail, fetched.raw)
    if unreadable is None:
        record = decide(key, parsed.mail, item, services, ledger)
        if not reserve_threads(record, parsed.mail, ledger):
            # A mail of the same thread tied it first: now it leads there.
            record = decide(key, parsed.mail, item, services, ledger)
            reserve_threads(record, parsed.mail, ledger)
    else:
        record = unreadable_record(key, item, unreadable, services)
    if fetched.original is not None:
        record = record.model_copy(update={"original": fetched.original})
    store_mail(key, fetched, parsed, services)
    ledger.save_mail(record)
    ledger.save_item(item.mailbox, item.item_id, key)
    return record


def own_key(
    key: str, mail: NormalizedMail, ledger: Ledger
) -> tuple[str, MailRecord | None]:
    """Return the key of this mail, and its record if it is known already.

    The key is `key`, unless another mail holds it: some senders (scanners,
    scripts, old gateways) give every mail one Message-ID. A record under
    `key` of a different sender, Date or subject is another mail, and this
    one gets a key of its own instead of being dropped as its duplicate.
    """
    held = ledger.mail(key)
    if mail.message_id is None or held is None or held.fingerprint is None:
        return key, held
    if held.fingerprint == fingerprint(mail):
        return key, held
    own = reused_id_key(key, mail)
    return own, ledger.mail(own)


def unreadable_record(
    key: str, item: MailboxItem, reason: str, services: Services
) -> MailRecord:
    """Record bytes that are not a mail as a skip; nothing is decided on them."""
    return MailRecord(
        key=key,
        mailbox=item.mailbox,
        item_id=item.item_id,
        status="skipped",
        kind="unreadable",
        reason=reason,
        recorded_at=services.now(),
    )


def decide(
    key: str,
    mail: NormalizedMail,
    item: MailboxItem,
    services: Services,
    ledger: Ledger,
) -> MailRecord:
    """Classify, thread and route one mail into its record."""
    config = services.config
    watched = [box.address for box in config.mailboxes]
    kind = classify(
        mail,
        item.mailbox,
        watched,
        config.runtime.marker_header,
        config.runtime.message_id_domain,
    )
    now = services.now()
    context = load_thread_context(mail, config, ledger, item.conversation_id, key)
    thread = decide_thread(mail, kind, context, config.threading, now=now)

    forwarded = (
        parse_forwarded_header(mail.text_body) if kind.kind == "forward" else None
    )
    requester, requester_reason = choose_requester(
        mail, forwarded, config.forwards.internal_domains
    )
    base = MailRecord(
        key=key,
        mailbox=item.mailbox,
        item_id=item.item_id,
        status="skipped",
        kind=kind.kind,
        reason=kind.reason,
        thread_signal=thread.signal,
        thread_reason=thread.reason,
        recorded_at=now,
        conversation_id=item.conversation_id,
        reopen=thread.reopen,
        requester=requester,
        requester_reason=requester_reason,
        fingerprint=fingerprint(mail),
    )
    return route_record(base, mail, kind, thread, services)


def route_record(
    base: MailRecord,
    mail: NormalizedMail,
    kind: Classification,
    thread: ThreadDecision,
    services: Services,
) -> MailRecord:
    """Fill in the deliveries a decided mail needs."""
    if thread.action == "skip":
        notes = [
            DeliveryRequest(mail_key=base.key, tool=tool, action="note", ticket_key=key)
            for tool, key in thread.tickets.items()
        ]
        return base.model_copy(update={"deliveries": notes})

    if thread.action == "comment":
        comments = [
            DeliveryRequest(
                mail_key=base.key, tool=tool, action="comment", ticket_key=key
            )
            for tool, key in thread.tickets.items()
        ]
        return base.model_copy(update={"status": "routed", "deliveries": comments})

    fields = extract_fields(mail, services.config.fields)
    update = {
        "acknowledge": kind.acknowledge,
        "fields": fields.values,
        "problems": [*fields.problems, *oversized_problems(mail)],
    }
    if thread.action == "linked_new":
        linked = [
            DeliveryRequest(
                mail_key=base.key, tool=tool, action="linked_new", ticket_key=key
            )
            for tool, key in thread.tickets.items()
        ]
        update |= {"status": "routed", "deliveries": linked}
        return base.model_copy(update=update)

    route = choose_route(mail, base.mailbox, services.config.routes)
    creates = [
        DeliveryRequest(mail_key=base.key, tool=tool, action="create")
        for tool in route.tools
    ]
    if not creates:
        return base.model_copy(update={"reason": route.reason})
    update |= {"status": "routed", "route": route.route, "deliveries": creates}
    return base.model_copy(update=update)


def reserve_threads(record: MailRecord, mail: NormalizedMail, ledger: Ledger) -> bool:
    """Tie the ids of a mail that opens tickets to them; False if another won.

    The mail's Message-ID points at the tickets it is about to open, so a
    reply that arrives while they are being opened threads to them instead
    of opening its own. So do the ids it answers that lead nowhere yet: mail
    is not always delivered in the order it was written, and an original
    that arrives after its reply joins the reply's ticket.

    Two mails of one thread ingested at the same moment may both decide to
    open a ticket; whichever ties the contested id first keeps its ticket,
    and the other (False) must be decided again.
    """
    row = ThreadRow(
        key=pending_key(record.key),
        subject=ticket_summary(mail.subject),
        mail_key=record.key,
    )
    won = True
    for request in record.deliveries:
        if request.action not in ("create", "linked_new"):
            continue
        ties = [(mail.message_id, row)] if mail.message_id else []
        if request.action == "create":
            answer = row.model_copy(update={"from_answer": True})
            ties = [(mid, answer) for mid in answered_ids(mail)] + ties
        for message_id, tie in ties:
            won = ledger.claim_thread(request.tool, message_id, tie) and won
    return won


def answered_ids(mail: NormalizedMail) -> list[str]:
    """Return the ids a mail answers (In-Reply-To, References), but its own.

    A mail that opens a ticket found none of them on a ticket when it was
    decided; one that another mail has tied since means it lost a race.
    """
    own = (mail.message_id or "").lower()
    answered = dict.fromkeys([*mail.in_reply_to, *mail.references])
    return [mid for mid in answered if mid.lower() != own]


def oversized_problems(mail: NormalizedMail) -> list[FieldProblem]:
    """Describe each file left off the ticket for being too large."""
    return [
        FieldProblem(
            field="attachment",
            value=f"{item.filename} ({item.size} bytes)",
            reason=f"{limit_passed(item)}; kept with the original mail",
        )
        for item in mail.oversized
    ]


def limit_passed(item: OversizedFile) -> str:
    """Say which size limit a file passed, with the figures that passed it."""
    if item.passed == "file":
        return f"over the {item.limit}-byte limit for one file"
    if item.passed == "total":
        return (
            f"with the files kept before it, {item.total} bytes, over the "
            f"{item.limit}-byte limit for all of a mail's files"
        )
    return f"over the {item.limit}-byte limit"


def store_mail(
    key: str, fetched: FetchedMail, parsed: ParsedMail, services: Services
) -> None:
    """Keep the original, the normalized mail and its files in blob storage.

    A large mail's original is in blob storage already, where the mailbox
    put it while it was fetched.
    """
    if fetched.original is None:
        services.blobs.put(raw_name(key), fetched.raw)
    for file in parsed.files:
        name = f"files/{file.meta.sha256}"
        if not services.blobs.exists(name):
            services.blobs.put(name, file.data)
    services.blobs.put(f"mail/{key}.json", parsed.mail.model_dump_json().encode())


def identity_bytes(fetched: FetchedMail) -> bytes:
    """Return the bytes a mail without a Message-ID is known by.

    A skeleton carries the fetch's random token in its marks; without it,
    the same large mail fetched twice has the same key.
    """
    token = fetched.left_off_token
    return fetched.raw.replace(token.encode(), b"") if token else fetched.raw


def mail_key(
    mailbox: str, mail: NormalizedMail, item_id: str | None, raw: bytes, config: Config
) -> str:
    """Return the dedupe key of a mail under the configured duplicates policy.

    With `one_ticket` the mailbox is left out, so the same mail reaching two
    watched mailboxes is one mail; with `per_mailbox` each copy counts.
    """
    scope = mailbox if config.mail.duplicates == "per_mailbox" else "*"
    return dedupe_key(scope, mail, item_id, raw)


def unfinished(record: MailRecord, ledger: Ledger) -> list[DeliveryRequest]:
    """Return the deliveries of a mail that have not finished yet."""
    return [
        request
        for request in record.deliveries
        if ledger.delivery(record.key, request.tool) is None
    ]


def modify_events(record: MailRecord, ledger: Ledger) -> list[DeliveryRequest]:
    """Return one modify event per ticket the mail reached."""
    events: list[DeliveryRequest] = []
    for request in record.deliveries:
        done = ledger.delivery(record.key, request.tool)
        if done is not None and done.ticket is not None:
            events.append(
                DeliveryRequest(
                    mail_key=record.key,
                    tool=request.tool,
                    action="event",
                    ticket_key=done.ticket.key,
                    event="mail-modified",
                )
            )
    return events
