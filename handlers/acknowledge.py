"""Acknowledge: reply to the requester once every ticket of the mail exists."""

from __future__ import annotations

import logging

from handlers.deliver import OPENING, load_mail
from handlers.ledger import AckRecord, Ledger, MailRecord, ThreadRow
from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.acknowledgement import ack_message_id, render_acknowledgement
from mailroom.messages import AckRequest
from mailroom.models import FieldProblem, TicketRef
from mailroom.tickets import ticket_summary

logger = logging.getLogger(__name__)


def handle_ack(request: AckRequest, services: Services) -> list[AckRequest]:
    """Send the acknowledgement of a mail, once."""
    ledger = Ledger(services.store)
    with unit_of_work(logger, "acknowledge.request", mail_key=request.mail_key) as unit:
        record = ledger.mail(request.mail_key)
        if record is None or not record.acknowledge:
            unit.outcome = "not-wanted"
            return []
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

        message_id = send_ack(record, tickets, services, ledger)
        for ticket in tickets:
            detail = {"message_id": message_id}
            tracker = services.tracker(ticket.tool)
            tracker.record_event(ticket.key, "acknowledgement-sent", detail)
        ledger.save_ack(record.key, AckRecord(message_id=message_id, tickets=tickets))
        unit.note(tickets=len(tickets))
        unit.outcome = "sent"
        return []


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
    )

    summary = ticket_summary(mail.subject)
    for ticket in tickets:
        row = ThreadRow(key=ticket.key, subject=summary, mail_key=record.key)
        ledger.save_thread(ticket.tool, message_id, row)
    return services.mail.send(record.mailbox, outgoing)
