"""Parts that describe a mail instead of carrying a file for the ticket.

A signature of a multipart/signed is recorded, not attached. The returned
headers of a bounce (multipart/report) give the Message-ID of the mail that
bounced, so the bounce can find its ticket.
"""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email.message import Message

from mailroom.mime_headers import decode_words, parse_message_ids
from mailroom.mime_names import safe_filename
from mailroom.mime_tree import children, is_message, raw_filename

_SIGNATURES = {
    "application/pkcs7-signature": ("S/MIME", "smime.p7s"),
    "application/x-pkcs7-signature": ("S/MIME", "smime.p7s"),
    "application/pgp-signature": ("PGP", "signature.asc"),
}
_RETURNED = ("text/rfc822-headers", "message/rfc822")


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
    """Record the ids of each returned mail: its own, then those it answered.

    A bounced reply has a Message-ID Mailroom may never have seen, but its
    In-Reply-To and References still lead to the ticket it was about.
    """
    for part in parts:
        if part.get_content_type() not in _RETURNED:
            continue
        found.part_ids.add(id(part))
        headers = _returned_headers(part)
        if headers is None:
            continue
        for name in ("Message-ID", "In-Reply-To", "References"):
            value = headers.get(name)
            for message_id in parse_message_ids(str(value) if value else None):
                if message_id not in found.returned_ids:
                    found.returned_ids.append(message_id)


def _returned_headers(part: Message) -> Message | None:
    """Return the header block of a returned mail, parsed as a message."""
    if is_message(part):
        inner = children(part)
        return inner[0] if inner else None
    data = part.get_payload(decode=True)
    return email.message_from_bytes(data) if isinstance(data, bytes) else None
