"""Acknowledge: reply to the requester once every ticket of the mail exists."""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.claims import holding
from handlers.deliver import OPENING, load_mail
from handlers.ledger import AckRecord, Ledger, MailRecord, ThreadRow
from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.acknowledgement import ack_message_id, render_acknowledgement
from mailroom.messages import AckRequest
from mailroom.models import FieldProblem, NormalizedMail, TicketRef
from mailroom.ratelimit import RateDecision, allow_acknowledgement, recent
from mailroom.recipients import requester_recipients
from mailroom.tickets import ticket_summary

logger = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
# Long enough for one send through Graph; a crashed holder's claim lapses.
CLAIM_SECONDS = 120.0


def handle_ack(request: AckRequest, services: Services) -> list[AckRequest]:
    """Send the acknowledgement of a mail, once."""
    ledger = Ledger(services.store)
    with unit_of_work(logger, "acknowledge.request", mail_key=request.mail_key) as unit:
        record = ledger.mail(request.mail_key)
        if record is None or not record.acknowledge:
            unit.outcome = "not-wanted"
            return []
        unit.note(mailbox=record.mailbox)
        if not services.config.acknowledgement.enabled:
            unit.outcome = "disabled"
            return []
        if ledger.ack(record.key) is not None:
            unit.outcome = "already-sent"
            return []

        tickets = finished_tickets(record, ledger)
        if tickets is None:
            unit.outcome = "waiting"
            return []

        mail = load_mail(record.key, services)
        recipients = requester_recipients(mail, services.watched())
        if recipients.refused:
            unit.note(refused=len(recipients.refused))
        if not recipients.to:
            record_skip(tickets, recipients.refused, services)
            unit.outcome = "no-usable-address"
            return []

        # Two workers at once (a burst from one sender, or two copies of
        # this message) would both pass the checks before either counts.
        with holding(
            services.store,
            [f"ack|{record.key}", *rate_claims(record, mail, tickets, services)],
            services.new_nonce(),
            services.now,
            CLAIM_SECONDS,
        ):
            unit.outcome = acknowledge(record, mail, tickets, services, ledger)
        unit.note(tickets=len(tickets))
        return []


def acknowledge(
    record: MailRecord,
    mail: NormalizedMail,
    tickets: list[TicketRef],
    services: Services,
    ledger: Ledger,
) -> str:
    """Send the acknowledgement within the caps; return the outcome.

    The caller holds the claims on the mail and its sender and thread.
    """
    if ledger.ack(record.key) is not None:
        return "already-sent"
    limit = allow(record, mail, tickets, services, ledger)
    if not limit.allowed:
        for ticket in tickets:
            tracker = services.tracker(ticket.tool)
            detail = {"reason": limit.reason}
            tracker.record_event(ticket.key, "acknowledgement-withheld", detail)
        return "rate-limited"

    message_id = send_ack(record, tickets, services, ledger)
    count_ack(record, mail, tickets, services, ledger)
    for ticket in tickets:
        detail = {"message_id": message_id}
        tracker = services.tracker(ticket.tool)
        tracker.record_event(ticket.key, "acknowledgement-sent", detail)
    ledger.save_ack(record.key, AckRecord(message_id=message_id, tickets=tickets))
    return "sent"


def rate_claims(
    record: MailRecord,
    mail: NormalizedMail,
    tickets: list[TicketRef],
    services: Services,
) -> list[str]:
    """Return the claim keys of the histories an acknowledgement counts in."""
    sender, thread = rate_keys(record, mail, tickets, services.watched())
    return [f"ack-sender|{sender}", f"ack-thread|{thread}"]


def record_skip(
    tickets: list[TicketRef], refused: list[str], services: Services
) -> None:
    """Tell each ticket that no acknowledgement went out, and why."""
    reason = "acknowledgement skipped: sender address not usable"
    if refused:
        reason += f" ({'; '.join(refused)})"
    for ticket in tickets:
        tracker = services.tracker(ticket.tool)
        tracker.record_event(ticket.key, "acknowledgement-skipped", {"reason": reason})


def allow(
    record: MailRecord,
    mail: NormalizedMail,
    tickets: list[TicketRef],
    services: Services,
    ledger: Ledger,
) -> RateDecision:
    """Decide whether the acknowledgement fits the per-sender and per-thread caps."""
    config = services.config.acknowledgement
    sender, thread = rate_keys(record, mail, tickets, services.watched())
    return allow_acknowledgement(
        ledger.ack_times("sender", sender),
        ledger.ack_times("thread", thread),
        services.now(),
        per_sender_limit=config.max_per_sender_per_hour,
        per_thread_limit=config.max_per_thread_per_hour,
        window=HOUR,
    )


def count_ack(
    record: MailRecord,
    mail: NormalizedMail,
    tickets: list[TicketRef],
    services: Services,
    ledger: Ledger,
) -> None:
    """Add a sent acknowledgement to its sender's and thread's histories."""
    now = services.now()
    sender, thread = rate_keys(record, mail, tickets, services.watched())
    for scope, key in (("sender", sender), ("thread", thread)):
        times = recent(ledger.ack_times(scope, key), now, HOUR)
        ledger.save_ack_times(scope, key, [*times, now])


def rate_keys(
    record: MailRecord,
    mail: NormalizedMail,
    tickets: list[TicketRef],
    watched: list[str],
) -> tuple[str, str]:
    """Return who an acknowledgement counts against: its addressee and thread.

    A linked ticket counts on the thread it follows up, under the same key
    (tool and ticket) as the acknowledgement of the mail that opened it.
    """
    answered = requester_recipients(mail, watched).to
    sender = answered[0].email.lower() if answered else ""
    linked = [(r.tool, r.ticket_key) for r in record.deliveries if r.ticket_key]
    tool, key = linked[0] if linked else (tickets[0].tool, tickets[0].key)
    return sender, f"{tool}|{key}"


def finished_tickets(record: MailRecord, ledger: Ledger) -> list[TicketRef] | None:
    """Return the mail's tickets, or None while a delivery is unfinished.

    The last delivery to finish asks again, so the acknowledgement lists
    every ticket the mail created.
    """
    tickets: list[TicketRef] = []
    for request in record.deliveries:
        if request.action not in OPENING:
            continue
        done = ledger.delivery(record.key, request.tool)
        if done is None or done.ticket is None:
            return None
        tickets.append(done.ticket)
    return tickets


def tool_problems(record: MailRecord, ledger: Ledger) -> list[FieldProblem]:
    """Return the values the tools refused when they opened the tickets."""
    problems: list[FieldProblem] = []
    for request in record.deliveries:
        done = ledger.delivery(record.key, request.tool)
        if done is not None:
            problems += [p for p in done.problems if p not in problems]
    return problems


def send_ack(
    record: MailRecord, tickets: list[TicketRef], services: Services, ledger: Ledger
) -> str:
    """Render and send the acknowledgement; a reply to it threads to the tickets."""
    runtime = services.config.runtime
    mail = load_mail(record.key, services)
    message_id = ack_message_id(record.key, runtime.message_id_domain)
    problems = list(dict.fromkeys([*record.problems, *tool_problems(record, ledger)]))
    outgoing = render_acknowledgement(
        mail,
        tickets,
        problems,
        services.config.acknowledgement,
        message_id,
        runtime.marker_header,
        record.key,
        watched=services.watched(),
    )

    summary = ticket_summary(mail.subject)
    for ticket in tickets:
        row = ThreadRow(key=ticket.key, subject=summary, mail_key=record.key)
        ledger.save_thread(ticket.tool, message_id, row)
    return services.mail.send(record.mailbox, outgoing)
