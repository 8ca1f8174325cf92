"""Deliver: one mail's work for one tool, idempotent across retries.

A retried create finds the ticket by its correlation id before opening
another; comments and files are deduplicated by the tracker; the delivery
is marked finished only after the tool has everything.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Protocol, runtime_checkable

from handlers.claims import working_alone
from handlers.ledger import (
    DeliveryRecord,
    Ledger,
    MailRecord,
    ThreadRow,
    TicketState,
    pending_mail,
)
from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.attachments import dedupe_files
from mailroom.errors import BlobNotFoundError, PermanentError, RetryableError
from mailroom.messages import AckRequest, DeliveryRequest
from mailroom.models import FieldProblem, NormalizedMail, TicketDraft, TicketRef
from mailroom.ports import Tracker
from mailroom.subjects import token_id
from mailroom.threads import conversation_keys
from mailroom.tickets import draft_comment, draft_note, draft_ticket, ticket_summary
from mailroom.tool_replies import compose_failure_notice

logger = logging.getLogger(__name__)

OPENING = ("create", "linked_new")
# A reply whose original's ticket is not open yet tries again SOON while
# the original is younger than IN_FLIGHT_SECONDS, later after
# ORIGINAL_DELAYED: past the queue's retry delay, so the stage defers it.
SOON = 2.0
IN_FLIGHT_SECONDS = 5.0
ORIGINAL_DELAYED = 60.0


def handle_delivery(request: DeliveryRequest, services: Services) -> list[AckRequest]:
    """Carry out one delivery request and ask for the acknowledgement."""
    ledger = Ledger(services.store)
    with unit_of_work(logger, "deliver.request", mail_key=request.mail_key) as unit:
        unit.note(tool=request.tool, action=request.action)
        record = ledger.mail(request.mail_key)
        if record is None:
            raise PermanentError(
                f"no ingest record for mail {request.mail_key}; replay its "
                "mail-changes message first"
            )
        unit.note(mailbox=record.mailbox)

        done = ledger.delivery(record.key, request.tool)
        if done is not None and request.action != "event":
            unit.outcome = "already-done"
            return ack_request(record, request)

        with working_alone(
            services,
            f"{record.key}|{request.tool}",
            busy=f"mail {record.key} is being delivered to {request.tool} by "
            "another worker",
        ):
            ticket = deliver_claimed(request, record, services, ledger)

        unit.note(ticket=ticket.key if ticket else request.ticket_key)
        return ack_request(record, request)


def deliver_claimed(
    request: DeliveryRequest, record: MailRecord, services: Services, ledger: Ledger
) -> TicketRef | None:
    """Do the delivery and mark it finished, holding its claim."""
    if request.action != "event" and ledger.delivery(record.key, request.tool):
        return None  # a copy that held the claim before this one finished it
    mail = load_mail(record.key, services)
    tracker = services.tracker(request.tool)
    try:
        ticket = carry_out(request, record, mail, tracker, services, ledger)
    except PermanentError:
        notify_failure(request, record, mail, services)
        raise
    if request.action != "event":
        problems = tool_problems(request, record, mail, tracker)
        delivery = DeliveryRecord(
            ticket=ticket, action=request.action, problems=problems
        )
        ledger.save_delivery(record.key, request.tool, delivery)
    return ticket


def carry_out(
    request: DeliveryRequest,
    record: MailRecord,
    mail: NormalizedMail,
    tracker: Tracker,
    services: Services,
    ledger: Ledger,
) -> TicketRef | None:
    """Do the tracker calls a delivery stands for."""
    if request.action in OPENING:
        return open_ticket(request, record, mail, tracker, services, ledger)

    key = resolve_key(request, ledger, services.now())
    if request.action == "event":
        detail = {"mail_key": record.key, "event": request.event or "event"}
        tracker.record_event(key, request.event or "event", detail)
        return None

    if request.action == "note":
        tracker.add_comment(key, draft_note(mail, record.key, record.reason))
    else:
        outgoing = record.kind == "sent"
        comment = draft_comment(mail, record.key, public=True, outgoing=outgoing)
        tracker.add_comment(key, comment)
        attach_files(request.tool, key, mail, tracker, services, ledger)
        if record.reopen:
            # The Tracker port has no reopen yet; the tool sees a request.
            tracker.record_event(key, "reopen-requested", {"mail_key": record.key})
            ledger.save_ticket_state(request.tool, key, TicketState())
    remember_thread(request.tool, key, mail, record, ledger)
    return None


def open_ticket(
    request: DeliveryRequest,
    record: MailRecord,
    mail: NormalizedMail,
    tracker: Tracker,
    services: Services,
    ledger: Ledger,
) -> TicketRef:
    """Open the mail's ticket (or find the one a crashed try opened)."""
    draft = draft_ticket(mail, record.key, record.fields, record.problems)
    if record.requester_reason is not None:
        draft = draft.model_copy(update={"requester": record.requester})
    ticket = tracker.find_by_correlation(record.key) or tracker.create_ticket(draft)

    attach_files(request.tool, ticket.key, mail, tracker, services, ledger)
    if request.action == "linked_new":
        relation = "forwarded-from" if record.kind == "forward" else "follows-up"
        tracker.link(ticket.key, resolve_key(request, ledger, services.now()), relation)
    summary = ticket_summary(mail.subject)
    row = ThreadRow(key=ticket.key, subject=summary, mail_key=record.key)
    ledger.save_ticket(request.tool, row)
    ledger.save_token(request.tool, token_id(record.key), row)
    remember_thread(request.tool, ticket.key, mail, record, ledger)
    return ticket


@runtime_checkable
class ChecksFields(Protocol):
    """A tracker that can tell which mapped values its fields refuse."""

    def check_fields(self, draft: TicketDraft) -> list[FieldProblem]:
        """Return a problem for each value the tool would not take."""
        ...


def tool_problems(
    request: DeliveryRequest, record: MailRecord, mail: NormalizedMail, tracker: Tracker
) -> list[FieldProblem]:
    """Return the values the tool itself refused, for the acknowledgement."""
    if request.action not in OPENING or not isinstance(tracker, ChecksFields):
        return []
    draft = draft_ticket(mail, record.key, record.fields, record.problems)
    return tracker.check_fields(draft)


def attach_files(
    tool: str,
    key: str,
    mail: NormalizedMail,
    tracker: Tracker,
    services: Services,
    ledger: Ledger,
) -> None:
    """Attach the mail's files the ticket does not hold yet (by content)."""
    known = ledger.ticket_files(tool, key)
    fresh = dedupe_files(mail.attachments, known)
    for attachment in fresh:
        data = services.blobs.get(f"files/{attachment.sha256}")
        tracker.attach(key, attachment, data)
    if fresh:
        ledger.save_ticket_files(tool, key, known | {a.sha256 for a in fresh})


def remember_thread(
    tool: str, key: str, mail: NormalizedMail, record: MailRecord, ledger: Ledger
) -> None:
    """Tie the mail's Message-ID and conversation to the ticket for later replies."""
    row = ThreadRow(key=key, subject=ticket_summary(mail.subject), mail_key=record.key)
    if mail.message_id:
        ledger.save_thread(tool, mail.message_id, row)
    for answered in [*mail.in_reply_to, *mail.references]:
        held = ledger.thread(tool, answered)
        if held is not None and held.from_answer:  # ingest's placeholder, if ours
            ledger.save_thread(
                tool, answered, row.model_copy(update={"from_answer": True})
            )
    for conversation in conversation_keys(mail, record.conversation_id):
        ledger.save_conversation(tool, conversation, row)


def load_mail(key: str, services: Services) -> NormalizedMail:
    """Read the normalized mail that ingest stored."""
    try:
        data = services.blobs.get(f"mail/{key}.json")
    except BlobNotFoundError as exc:
        raise PermanentError(
            f"the stored mail {key} is missing from blob storage; replay its "
            "mail-changes message to store it again"
        ) from exc
    return NormalizedMail.model_validate_json(data)


def notify_failure(
    request: DeliveryRequest,
    record: MailRecord,
    mail: NormalizedMail,
    services: Services,
) -> None:
    """Tell the requester their mail could not reach the tool, if configured."""
    section = services.config.trackers.get(request.tool)
    if section is None or not section.notify_failure or not record.acknowledge:
        return
    runtime = services.config.runtime
    digest = hashlib.sha256(f"{record.key}|{request.tool}".encode()).hexdigest()
    notice = compose_failure_notice(
        mail,
        services.watched(),
        f"<failed-{digest[:32]}@{runtime.message_id_domain}>",
        (runtime.marker_header, record.key),
    )
    if notice is not None:
        services.mail.send(record.mailbox, notice)


def resolve_key(request: DeliveryRequest, ledger: Ledger, now: datetime) -> str:
    """Return the ticket key a comment, note, event or link needs.

    A placeholder names a mail whose ticket was still being opened when this
    mail was ingested; until that delivery finishes, try again later: soon
    while the original is fresh (its ticket is being opened now), then after
    a wait long enough for the stage to defer the message, so that a tool
    outage holding up the original does not use up this mail's tries.
    """
    if not request.ticket_key:
        raise PermanentError(
            f"delivery {request.action} for mail {request.mail_key} names no ticket"
        )
    waiting_for = pending_mail(request.ticket_key)
    if waiting_for is None:
        return request.ticket_key
    done = ledger.delivery(waiting_for, request.tool)
    if done is None or done.ticket is None:
        original = ledger.mail(waiting_for)
        age = (now - original.recorded_at).total_seconds() if original else 0.0
        wait = SOON if age < IN_FLIGHT_SECONDS else ORIGINAL_DELAYED
        raise RetryableError(
            f"mail {request.mail_key} answers mail {waiting_for}, whose ticket "
            f"in {request.tool} is not open yet",
            retry_after=wait,
        )
    return done.ticket.key


def ack_request(record: MailRecord, request: DeliveryRequest) -> list[AckRequest]:
    """Ask for the acknowledgement when this delivery opened a ticket."""
    if record.acknowledge and request.action in OPENING:
        return [AckRequest(mail_key=record.key)]
    return []
