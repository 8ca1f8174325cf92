"""MIME for the local mailbox: mail it sends, and threads of mail it holds."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.headerregistry import Address as MimeAddress
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime

from mailroom.errors import PermanentError
from mailroom.models import Address, OutgoingMail


def build_mime(mailbox: str, mail: OutgoingMail, now: datetime) -> bytes:
    """Render an outgoing mail as MIME sent from `mailbox`."""
    message = EmailMessage(policy=policy.default)
    try:
        message["From"] = mailbox
        message["To"] = [_mime_address(address) for address in mail.to]
        if mail.cc:
            message["Cc"] = [_mime_address(address) for address in mail.cc]
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(now)
        message["Message-ID"] = angle(mail.message_id)
        _set_thread_headers(message, mail)
        _set_custom_headers(message, mail.headers)
    except (ValueError, TypeError, IndexError, MessageError) as exc:
        # The stdlib's address parser raises all of these on a bad address.
        raise PermanentError(
            f"the mail {mail.message_id} has a header that cannot be sent "
            f"({type(exc).__name__}); check addresses and header values"
        ) from exc

    message.set_content(mail.text_body)
    if mail.html_body is not None:
        message.add_alternative(mail.html_body, subtype="html")
    return message.as_bytes()


def conversation_id(raw: bytes) -> str | None:
    """Return a stable id for a mail's thread, from its oldest known ancestor."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    references = str(headers.get("References", "")).split()
    in_reply_to = str(headers.get("In-Reply-To", "")).split()
    own = str(headers.get("Message-ID", "")).split()
    chain = references or in_reply_to or own
    if not chain:
        return None
    return "AAQk" + hashlib.sha256(chain[0].encode("utf-8")).hexdigest()[:32]


def angle(message_id: str) -> str:
    """Return a Message-ID wrapped in angle brackets, as headers carry it."""
    bare = message_id.strip().strip("<>")
    return f"<{bare}>"


def _mime_address(address: Address) -> MimeAddress:
    return MimeAddress(display_name=address.name, addr_spec=address.email)


def _set_thread_headers(message: EmailMessage, mail: OutgoingMail) -> None:
    if mail.in_reply_to:
        message["In-Reply-To"] = angle(mail.in_reply_to)
    if mail.references:
        message["References"] = " ".join(angle(ref) for ref in mail.references)


MIME_ONLY = frozenset({"auto-submitted"})


def _set_custom_headers(message: EmailMessage, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        # Graph sets only X- headers on a message it builds; Auto-Submitted
        # (RFC 3834) travels in MIME that Mailroom builds itself. Refusing
        # the rest keeps local runs honest about what works with Exchange.
        if not name.lower().startswith("x-") and name.lower() not in MIME_ONLY:
            raise PermanentError(
                f"the header {name!r} cannot be sent; Exchange accepts only "
                "custom headers whose names start with X-"
            )
        message[name] = value
