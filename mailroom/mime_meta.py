"""Parts that describe a mail instead of carrying a file for the ticket.

A signature of a multipart/signed is recorded, not attached. A report
(multipart/report: a bounce, a read receipt) names the mail it is about, in
the returned headers or in its machine-readable part, so that it can find
its ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser

from mailroom.mime_headers import decode_words, parse_message_ids
from mailroom.mime_names import safe_filename
from mailroom.mime_params import BOUNDED_COMPAT32
from mailroom.mime_tree import children, is_message, raw_filename

_SIGNATURES = {
    "application/pkcs7-signature": ("S/MIME", "smime.p7s"),
    "application/x-pkcs7-signature": ("S/MIME", "smime.p7s"),
    "application/pgp-signature": ("PGP", "signature.asc"),
}
_RETURNED = ("text/rfc822-headers", "message/global-headers", "message/rfc822")
_RETURNED_FIELDS: tuple[str, ...] = ("Message-ID", "In-Reply-To", "References")
# The field of a report's machine-readable part that names the reported mail:
# a read receipt's (RFC 8098) always, a delivery report's (RFC 3464) when
# the sender chose a Message-ID as its envelope id. RFC 6533 has the same
# fields in its global types.
_REPORT_FIELDS = {
    "message/disposition-notification": "Original-Message-ID",
    "message/global-disposition-notification": "Original-Message-ID",
    "message/delivery-status": "Original-Envelope-Id",
    "message/global-delivery-status": "Original-Envelope-Id",
}


@dataclass
class MetaParts:
    """What the describing parts say, and which parts they are."""

    signature: str | None = None
    returned_ids: list[str] = field(default_factory=list)
    part_ids: set[int] = field(default_factory=set)


def find_meta_parts(message: Message) -> MetaParts:
    """Find the signatures and returned headers of a mail's own MIME tree."""
    found = MetaParts()
    _visit(message, found)
    return found


def _visit(part: Message, found: MetaParts) -> None:
    """Collect the describing parts under `part`, not entering attached mail."""
    if is_message(part) or not part.is_multipart():
        return
    subparts = children(part)
    if part.get_content_type() == "multipart/signed":
        _take_signatures(subparts[1:], found)
    if part.get_content_type() == "multipart/report":
        _take_returned(subparts, found)
    for child in subparts:
        if id(child) not in found.part_ids:
            _visit(child, found)


def _take_signatures(parts: list[Message], found: MetaParts) -> None:
    """Record the signature parts of a multipart/signed."""
    for part in parts:
        kind = _SIGNATURES.get(part.get_content_type())
        if kind is None:
            continue
        found.part_ids.add(id(part))
        if found.signature is None:
            label, default_name = kind
            raw = raw_filename(part)
            name = safe_filename(decode_words(raw)) if raw else ""
            found.signature = f"{label} signature ({name or default_name})"


def _take_returned(parts: list[Message], found: MetaParts) -> None:
    """Record the ids a report gives of the mail it is about, in part order.

    Returned headers give the mail's own id, then those it answered: a
    bounced reply has a Message-ID Mailroom may never have seen, but its
    In-Reply-To and References still lead to the ticket it was about. The
    machine-readable part gives the reported mail's id, and stays attached.
    """
    for part in parts:
        content_type = part.get_content_type()
        if content_type in _RETURNED:
            found.part_ids.add(id(part))
            names = _RETURNED_FIELDS
        elif content_type in _REPORT_FIELDS:
            names = (_REPORT_FIELDS[content_type],)
        else:
            continue
        headers = _returned_headers(part)
        if headers is None:
            continue
        for name in names:
            value = headers.get(name)
            for message_id in parse_message_ids(str(value) if value else None):
                if message_id not in found.returned_ids:
                    found.returned_ids.append(message_id)


def _returned_headers(part: Message) -> Message | None:
    """Return the header block of a returned mail, parsed as a message.

    For a report's machine-readable part it is the first block of fields.
    Only that block is parsed: a body behind it is never entered, however
    deep it nests.
    """
    if is_message(part):
        inner = children(part)
        return inner[0] if inner else None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    return BytesHeaderParser(policy=BOUNDED_COMPAT32).parsebytes(data)
