"""Who mail that Mailroom sends can go to: addresses a mail can carry.

An address read from a mail is whatever its sender wrote there: bytes that
were never text, spaces, a second @, a domain without a dot. Mailroom sends
no SMTPUTF8 mail, so a local part outside ASCII cannot be written either.
Whatever picks the recipients of a reply keeps only the addresses that
pass, and says why it dropped the others, never quoting them.

Nor does Mailroom write to a mailbox it watches: that mail would come back
into its own Inbox. Every choice of recipients is given the configured
mailbox addresses, compared case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from mailroom.bounds import bounded_name
from mailroom.models import Address, NormalizedMail

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_QUOTED = re.compile(r'"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"')
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# RFC 5321's limits on what a server must accept.
_MAX_LOCAL = 64
_MAX_DOMAIN = 253
WATCHED = "it is a mailbox Mailroom watches"


@dataclass(frozen=True)
class Recipients:
    """The addresses a mail goes to, and why any others were left out."""

    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def address_problem(email: str) -> str | None:
    """Return why an address cannot be put into a mail, or None if it can."""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return "it has no local part and domain joined by @"
    if not local.isascii():
        return "its local part holds characters other than ASCII"
    if not (_DOT_ATOM.fullmatch(local) or _QUOTED.fullmatch(local)):
        return "its local part holds spaces, a second @ or other characters"
    if len(local) > _MAX_LOCAL:
        return f"its local part is longer than {_MAX_LOCAL} characters"
    return _domain_problem(domain)


def recipient_problem(email: str, watched: Collection[str]) -> str | None:
    """Return why Mailroom may not send to an address, or None if it may."""
    problem = address_problem(email)
    if problem is None and is_watched(email, watched):
        return WATCHED
    return problem


def is_watched(email: str, watched: Collection[str]) -> bool:
    """Tell whether an address reaches a watched mailbox, case aside.

    Exchange Online delivers name+tag@domain to name@domain (plus
    addressing), so a tagged address of a watched mailbox is that mailbox.
    """
    return mailbox_of(email) in {mailbox_of(address) for address in watched}


def mailbox_of(email: str) -> str:
    """Return the mailbox an address is delivered to: no +tag, lower case."""
    local, at, domain = email.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}" if at and local else email.lower()


def _domain_problem(domain: str) -> str | None:
    """Return why a domain cannot take mail from Mailroom, or None."""
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return "its domain is not a valid host name"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return "its domain is not a full host name"
    if len(ascii_domain) > _MAX_DOMAIN:
        return f"its domain is longer than {_MAX_DOMAIN} characters"
    return None


def usable_addresses(
    addresses: list[Address], role: str, watched: Collection[str]
) -> tuple[list[Address], list[str]]:
    """Split addresses into those Mailroom may write to and reasons for the rest.

    `role` names the header the addresses came from, for the reasons.
    Display names are cut to a bound.
    """
    usable: list[Address] = []
    refused: list[str] = []
    for address in addresses:
        problem = recipient_problem(address.email, watched)
        if problem is None:
            usable.append(bounded_name(address))
        else:
            refused.append(f"a {role} address is not usable: {problem}")
    return usable, refused


def requester_recipients(mail: NormalizedMail, watched: Collection[str]) -> Recipients:
    """Return who a reply to the requester goes to: Reply-To, else From.

    Reply-To addresses that cannot be used, or that name only watched
    mailboxes, give way to a usable From.
    """
    reply_to, refused = usable_addresses(list(mail.reply_to), "Reply-To", watched)
    if reply_to:
        return Recipients(to=reply_to, refused=refused)
    sender = [mail.sender] if mail.sender else []
    usable, refused_sender = usable_addresses(sender, "From", watched)
    return Recipients(to=usable, refused=[*refused, *refused_sender])
