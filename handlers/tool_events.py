"""Tool to mail: a comment or a new ticket in a tool becomes mail.

A public comment on a ticket that came from mail is answered under that
mail (reply-all unless the tool's `reply_on_modify` says otherwise); a
ticket opened in the tool for a requester becomes a new mail. Each event is
handled once: replays of the same event id change nothing. Webhooks arrive
out of order: a status change older than the one recorded for its ticket
is recorded as stale, and neither applied nor mailed.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from handlers.claims import working_alone
from handlers.deliver import load_mail
from handlers.ledger import Ledger, ThreadRow, TicketState
from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.errors import PermanentError
from mailroom.models import NormalizedMail, OutgoingMail, TicketRef
from mailroom.recipients import recipient_problem
from mailroom.tool_events import ToolEvent, superseded
from mailroom.tool_replies import (
    compose_comment_reply,
    compose_new_ticket_mail,
    reply_recipients,
    reply_wanted,
    tool_summary,
)

logger = logging.getLogger(__name__)

HANDLED = "tool-events"  # events done, by tool and event id
STALE = "stale"
STALE_REASON = "older-than-recorded-status"


def handle_tool_event(event: ToolEvent, services: Services) -> list[Any]:
    """Mail the requester what happened in the tool, once per event."""
    event_key = f"{event.tool}|{event.event_id}"
    with unit_of_work(logger, "tool_events.event", tool=event.tool) as unit:
        unit.note(kind=event.kind, ticket=event.ticket_key)
        if services.store.get(HANDLED, event_key) is not None:
            unit.outcome = "duplicate"
            return []
        event = with_body(event, services)

        # Copies of one event can arrive at once (a tool retrying its
        # webhook): the claim lets one work and sends the others back to
        # the queue, where they find the event done or do it themselves.
        with working_alone(
            services,
            f"tool-event|{event_key}",
            busy=f"tool event {event.event_id} from {event.tool} is being "
            "handled by another worker",
        ):
            unit.outcome = handle_claimed(event, event_key, services)
        if unit.outcome == STALE:
            unit.note(reason=STALE_REASON)
        return []


def with_body(event: ToolEvent, services: Services) -> ToolEvent:
    """Return the event with its body, read back from its blob if it has one."""
    if event.body_blob is None:
        return event
    body = services.blobs.get(event.body_blob).decode("utf-8")
    return event.model_copy(update={"body": body, "body_blob": None})


def handle_claimed(event: ToolEvent, event_key: str, services: Services) -> str:
    """Act on the event and record it done, holding its claim."""
    if services.store.get(HANDLED, event_key) is not None:
        return "duplicate"  # a copy that held the claim before finished it
    ledger = Ledger(services.store)
    if event.kind == "comment":
        outcome = reply_to_comment(event, services, ledger)
    elif event.kind == "created":
        outcome = mail_new_ticket(event, services, ledger)
    else:
        outcome = record_status(event, services, ledger)
    record = {"outcome": outcome, "at": services.now().isoformat()}
    if outcome == STALE:
        record["reason"] = STALE_REASON
    services.store.upsert(HANDLED, event_key, record)
    return outcome


def reply_to_comment(event: ToolEvent, services: Services, ledger: Ledger) -> str:
    """Send a tool comment under the mail its ticket came from."""
    row = ledger.ticket(event.tool, event.ticket_key)
    if row is None:
        return "not-from-mail"
    record = ledger.mail(row.mail_key)
    mailbox = record.mailbox if record else services.config.mailboxes[0].address
    try:
        mail = load_mail(row.mail_key, services)
    except PermanentError:
        return "not-from-mail"

    mode = services.config.trackers[event.tool].reply_on_modify
    own = services.watched()
    if not reply_wanted(event, mode):
        return "not-mailed"
    recipients = reply_recipients(mail, mode, own)
    if recipients.refused:
        logger.warning(
            "tool_events.addresses_refused",
            extra={"tool": event.tool, "refused": len(recipients.refused)},
        )
    if not recipients.to:
        return "no-usable-address" if recipients.refused else "not-mailed"

    ticket = ticket_ref(event, ledger, row.mail_key)
    message_id = event_message_id(event, services)
    marked = marker(services, row.mail_key)
    outgoing = compose_comment_reply(event, mail, ticket, mode, own, message_id, marked)
    if outgoing is None:
        return "not-mailed"
    send_in_thread(outgoing, mailbox, row, event.tool, services, ledger)
    return "replied"


def record_status(event: ToolEvent, services: Services, ledger: Ledger) -> str:
    """Remember whether the tool closed or reopened a ticket, newest first.

    Two changes of one ticket handled at once would both read the state
    before either wrote it: the ticket's claim lets one at a time decide.
    """
    with working_alone(
        services,
        f"ticket-state|{event.tool}|{event.ticket_key.upper()}",
        busy=f"the status of {event.ticket_key} in {event.tool} is being "
        "recorded by another worker",
    ):
        return apply_status(event, services, ledger)


def apply_status(event: ToolEvent, services: Services, ledger: Ledger) -> str:
    """Record a status change unless a newer one is recorded already."""
    recorded = ledger.ticket_state(event.tool, event.ticket_key)
    if superseded(event.changed_at, recorded.status_at):
        return STALE

    section = services.config.trackers[event.tool]
    closing = {status.casefold() for status in section.closed_statuses}
    closed = (event.status or "").casefold() in closing
    at = event.changed_at or services.now()
    state = TicketState(
        closed=closed,
        closed_at=at if closed else None,
        status=event.status,
        status_at=event.changed_at or recorded.status_at,
    )
    ledger.save_ticket_state(event.tool, event.ticket_key, state)
    outcome = "closed" if closed else "reopened"
    if section.notify_status and event.status:
        body = f"The status of this ticket is now: {event.status}."
        notice = event.model_copy(update={"kind": "comment", "body": body})
        outcome += f", {reply_to_comment(notice, services, ledger)}"
    return outcome


def mail_new_ticket(event: ToolEvent, services: Services, ledger: Ledger) -> str:
    """Send a requester a new mail about a ticket opened in the tool."""
    ticket = TicketRef(
        tool=event.tool, key=event.ticket_key, url=event.ticket_url or event.ticket_key
    )
    own = services.watched()
    if event.requester is not None and recipient_problem(event.requester.email, own):
        return "no-usable-address"
    message_id = event_message_id(event, services)
    outgoing = compose_new_ticket_mail(
        event, ticket, own, message_id, marker(services, event.event_id)
    )
    if outgoing is None:
        return "no-requester"

    summary = tool_summary(event, ticket)
    row = ThreadRow(
        key=event.ticket_key, subject=summary, mail_key=f"tool-{event.event_id}"
    )
    remember_requester(row.mail_key, outgoing, event, services)
    ledger.save_ticket(event.tool, row)
    mailbox = services.config.mailboxes[0].address
    send_in_thread(outgoing, mailbox, row, event.tool, services, ledger)
    return "mailed"


def remember_requester(
    mail_key: str, outgoing: OutgoingMail, event: ToolEvent, services: Services
) -> None:
    """Store the thread a ticket opened in the tool has by mail.

    Later comments on that ticket are answered under this mail, to the
    requester, as for a ticket that came from mail.
    """
    thread = NormalizedMail(
        message_id=outgoing.message_id,
        subject=outgoing.subject,
        sender=event.requester,
    )
    services.blobs.put(f"mail/{mail_key}.json", thread.model_dump_json().encode())


def send_in_thread(
    outgoing: OutgoingMail,
    mailbox: str,
    row: ThreadRow,
    tool: str,
    services: Services,
    ledger: Ledger,
) -> None:
    """Tie the outgoing Message-ID to the ticket, then send it."""
    ledger.save_thread(tool, outgoing.message_id, row)
    services.mail.send(mailbox, outgoing)


def ticket_ref(event: ToolEvent, ledger: Ledger, mail_key: str) -> TicketRef:
    """Return the ticket's reference as Mailroom recorded it."""
    done = ledger.delivery(mail_key, event.tool)
    if done is not None and done.ticket is not None:
        return done.ticket
    url = event.ticket_url or event.ticket_key
    return TicketRef(tool=event.tool, key=event.ticket_key, url=url)


def event_message_id(event: ToolEvent, services: Services) -> str:
    """Return the same Message-ID for every try of one event."""
    digest = hashlib.sha256(f"{event.tool}|{event.event_id}".encode()).hexdigest()
    return f"<tool-{digest[:32]}@{services.config.runtime.message_id_domain}>"


def marker(services: Services, value: str) -> tuple[str, str]:
    """Return Mailroom's marker header for mail it sends."""
    return services.config.runtime.marker_header, value
