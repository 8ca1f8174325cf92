"""Tell a mail from bytes that only arrived where mail does."""

from __future__ import annotations

from mailroom.models import NormalizedMail

IDENTIFYING = ("From", "Sender", "To", "Subject", "Message-ID", "Date")


def unreadable_reason(mail: NormalizedMail, raw: bytes) -> str | None:
    """Return why `raw` is not a mail Mailroom can act on, or None if it is.

    An empty file, or bytes in which not one identifying header was found,
    gets a recorded skip instead of a ticket with nothing in it.
    """
    if not raw.strip():
        return "the message is empty"
    if mail.sender is None and not any(mail.header(name) for name in IDENTIFYING):
        return "no mail headers (From, To, Subject, Message-ID, Date) were found"
    return None
