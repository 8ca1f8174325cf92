"""The key that tells two deliveries of one mail apart from two mails."""

from __future__ import annotations

import hashlib
import re

from mailroom.models import NormalizedMail

# Headers each relay or mailbox adds on its own: two copies of one mail that
# took different routes differ only in these.
_TRACE_HEADERS = {
    b"received",
    b"return-path",
    b"delivered-to",
    b"received-spf",
    b"authentication-results",
}
_TRACE_PREFIXES = (b"x-", b"arc-")
_FIELD_START = re.compile(rb"\n(?![ \t])")


def dedupe_key(
    mailbox: str, mail: NormalizedMail, item_id: str | None, raw: bytes
) -> str:
    """Return the stable key of one mail in one mailbox, `m-` and 32 hex digits.

    The Message-ID decides when there is one; otherwise the content without
    its trace headers, and for a mail with no content the mailbox item id.
    """
    if mail.message_id:
        identity = mail.message_id.encode()
    elif raw.strip() or item_id is None:
        identity = b"content:" + _content_digest(raw).encode()
    else:
        identity = b"item:" + item_id.encode()
    basis = mailbox.strip().lower().encode() + b"\n" + identity
    return "m-" + hashlib.sha256(basis).hexdigest()[:32]


def _content_digest(raw: bytes) -> str:
    """Hash the raw mail without trace headers and line-ending differences."""
    text = raw.replace(b"\r\n", b"\n")
    if text.startswith(b"From "):  # an mbox separator line, not a header
        text = text.partition(b"\n")[2]
    head, _, body = text.partition(b"\n\n")
    fields = [field for field in _FIELD_START.split(head) if not _is_trace(field)]
    kept = b"\n".join(fields) + b"\n\n" + body.rstrip()
    return hashlib.sha256(kept).hexdigest()


def _is_trace(field: bytes) -> bool:
    """Tell whether a header field was added in transit, not by the sender."""
    name = field.partition(b":")[0].strip().lower()
    return name in _TRACE_HEADERS or name.startswith(_TRACE_PREFIXES)


def fingerprint(mail: NormalizedMail) -> str:
    """Return what tells two mails that share a Message-ID apart.

    Copies of one mail keep their sender, Date header and subject whatever
    route they took; two mails a device or script gave one Message-ID do
    not, as their Date headers at least differ.
    """
    sender = mail.sender.email.lower() if mail.sender else ""
    basis = "\n".join((sender, mail.header("Date") or "", mail.subject))
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def reused_id_key(key: str, mail: NormalizedMail) -> str:
    """Return the key of a mail whose Message-ID another mail holds already."""
    basis = f"{key}\n{fingerprint(mail)}".encode()
    return "m-" + hashlib.sha256(basis).hexdigest()[:32]
