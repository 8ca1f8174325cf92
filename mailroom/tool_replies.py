"""Turn a tool's answer into mail: a reply under the thread, or a new mail."""

from __future__ import annotations

from collections.abc import Collection

from mailroom.bounds import reply_subject, reply_threading, shorten
from mailroom.config import ReplyOnModify
from mailroom.models import Address, NormalizedMail, OutgoingMail, TicketRef
from mailroom.recipients import (
    Recipients,
    is_watched,
    requester_recipients,
    usable_addresses,
)
from mailroom.tickets import SUMMARY_LIMIT, ticket_summary
from mailroom.tool_events import ToolEvent

AUTOMATED_HEADERS = {
    "X-Auto-Response-Suppress": "All",
    "Auto-Submitted": "auto-generated",
}


def reply_recipients(
    mail: NormalizedMail, mode: ReplyOnModify, own: Collection[str]
) -> Recipients:
    """Return who a reply under `mail` goes to, without Mailroom's mailboxes.

    `reply` answers the requester only; `reply_all` also copies everyone the
    mail was addressed to, as a person pressing Reply All would. Addresses
    a mail cannot carry are left out, each with its reason; the watched
    mailboxes among To and Cc are left out without one, as they are
    expected there.
    """
    requester = requester_recipients(mail, own)
    to = _unique(requester.to)
    if mode != "reply_all":
        return Recipients(to=to, refused=requester.refused)

    addressed, refused_to = usable_addresses(_others(mail.to, own), "To", own)
    copied, refused_cc = usable_addresses(_others(mail.cc, own), "Cc", own)
    taken = {a.email.lower() for a in to}
    cc = _unique([a for a in [*addressed, *copied] if a.email.lower() not in taken])
    refused = [*requester.refused, *refused_to, *refused_cc]
    return Recipients(to=to, cc=cc, refused=refused)


def reply_wanted(event: ToolEvent, mode: ReplyOnModify) -> bool:
    """Tell whether a tool event should be mailed to the thread at all."""
    return mode != "none" and event.public and event.origin != "mailroom"


def compose_comment_reply(
    event: ToolEvent,
    mail: NormalizedMail,
    ticket: TicketRef,
    mode: ReplyOnModify,
    own: Collection[str],
    message_id: str,
    marker: tuple[str, str],
) -> OutgoingMail | None:
    """Return the reply that carries a tool comment back to the mail thread.

    None when the tool is set not to mail, or nobody usable is left to answer.
    """
    if not reply_wanted(event, mode):
        return None
    recipients = reply_recipients(mail, mode, own)
    if not recipients.to:
        return None

    who = (event.author.name or event.author.email) if event.author else ticket.tool
    body = f"{event.body.strip()}\n\n-- \n{who} on {ticket.key}: {ticket.url}\n"
    in_reply_to, references = reply_threading(mail)
    return OutgoingMail(
        message_id=message_id,
        to=recipients.to,
        cc=recipients.cc,
        subject=reply_subject(f"RE: [{ticket.key}] {ticket_summary(mail.subject)}"),
        text_body=body,
        in_reply_to=in_reply_to,
        references=references,
        headers={**AUTOMATED_HEADERS, marker[0]: marker[1]},
    )


def compose_new_ticket_mail(
    event: ToolEvent,
    ticket: TicketRef,
    own: Collection[str],
    message_id: str,
    marker: tuple[str, str],
) -> OutgoingMail | None:
    """Return the mail that tells a requester about a ticket opened in the tool.

    None when the tool names no requester, or one Mailroom may not write to:
    an address a mail cannot carry, or one of its own mailboxes.
    """
    if event.requester is None or event.origin == "mailroom":
        return None
    to, _ = usable_addresses([event.requester], "requester", own)
    if not to:
        return None
    summary = tool_summary(event, ticket)
    body = (
        f"A ticket was opened for you: {ticket.key} {summary}\n{ticket.url}\n\n"
        "Reply to this mail to add to the ticket.\n"
    )
    return OutgoingMail(
        message_id=message_id,
        to=to,
        subject=reply_subject(f"[{ticket.key}] {summary}"),
        text_body=body,
        headers={**AUTOMATED_HEADERS, marker[0]: marker[1]},
    )


def tool_summary(event: ToolEvent, ticket: TicketRef) -> str:
    """Return a tool ticket's summary as mail shows it, or its key."""
    return shorten(event.summary or "", SUMMARY_LIMIT) or ticket.key


def _others(addresses: list[Address], own: Collection[str]) -> list[Address]:
    """Return the addresses that are not Mailroom's own mailboxes."""
    return [a for a in addresses if not is_watched(a.email, own)]


def _unique(addresses: list[Address]) -> list[Address]:
    """Drop repeated addresses, keeping the first spelling."""
    seen: set[str] = set()
    kept: list[Address] = []
    for address in addresses:
        if address.email.lower() not in seen:
            seen.add(address.email.lower())
            kept.append(address)
    return kept


def compose_failure_notice(
    mail: NormalizedMail,
    own: Collection[str],
    message_id: str,
    marker: tuple[str, str],
) -> OutgoingMail | None:
    """Return the note that tells a requester no ticket could be opened yet.

    It names no reason: the reason is for the administrators, who find it
    with the message in the poison queue. None when no one but Mailroom's
    own mailboxes could be answered.
    """
    to = requester_recipients(mail, own).to
    if not to:
        return None
    in_reply_to, references = reply_threading(mail)
    body = (
        "We received your message but could not open a ticket for it yet.\n"
        "It is kept, set aside where the support team looks for mail that\n"
        "could not be filed; there is no need to send it again.\n"
    )
    return OutgoingMail(
        message_id=message_id,
        to=to,
        subject=reply_subject(f"RE: {ticket_summary(mail.subject)}"),
        text_body=body,
        in_reply_to=in_reply_to,
        references=references,
        headers={**AUTOMATED_HEADERS, marker[0]: marker[1]},
    )
