"""Outlook .msg files attached to a mail, read as related items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import olefile

from mailroom.bodies import html_to_text
from mailroom.charsets import decode_bytes
from mailroom.mime_headers import parse_addresses
from mailroom.mime_names import fallback_filename, safe_filename
from mailroom.models import Address, RelatedItem
from mailroom.ole_guard import directory_fits
from mailroom.rtf import MAX_RTF_BYTES, rtf_text, unpacked_size

# Every .msg is an OLE compound file; anything else is not worth opening.
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_PLAIN_BODY, _HTML_BODY = "__substg1.0_1000", "__substg1.0_10130102"
_RTF_BODY = "__substg1.0_10090102"


class MsgAttachmentView(Protocol):
    """What Mailroom reads of one attachment inside a .msg."""

    @property
    def name(self) -> str | None:
        """Return the attachment's file name, long name first."""


class MsgView(Protocol):
    """What Mailroom reads of an opened .msg (extract-msg's message shape)."""

    @property
    def subject(self) -> str | None:
        """Return the subject."""

    @property
    def sender(self) -> str | None:
        """Return the sender as `Name <address>`, or a bare name."""

    @property
    def body(self) -> str | None:
        """Return the plain-text body."""

    @property
    def htmlBody(self) -> bytes | None:  # extract-msg's camelCase name
        """Return the HTML body's bytes."""

    @property
    def attachments(self) -> Sequence[MsgAttachmentView]:
        """Return the attachments."""


def read_outlook_msg(data: bytes, filename: str) -> RelatedItem | None:
    """Read an attached .msg into a related item; None if it is unreadable.

    Also None when its directory is longer than `ole_guard` allows, or its
    RTF bodies unpack past `rtf.MAX_RTF_BYTES` in all: extract-msg unpacks
    them while opening the file.
    """
    if not data.startswith(OLE_MAGIC):
        return None
    # extract-msg takes half a second to import; most mail never needs it.
    from extract_msg import openMsg
    from extract_msg.msg_classes import MessageBase

    try:
        if not directory_fits(data) or not _rtf_bodies_fit(data):
            return None
        # RTFDE, which extract-msg derives a missing body with, takes about
        # ten seconds and 300 MB per MB of RTF; the RTF is read as text here.
        with openMsg(data, strict=False, deencapsulationFunc=_underived) as message:
            if not isinstance(message, MessageBase):
                return None
            return related_item_from_msg(_stored_msg(message), filename)
    except Exception:  # extract-msg raises anything on hostile bytes
        return None


def _rtf_bodies_fit(data: bytes) -> bool:
    """Tell whether the RTF bodies of a .msg and its attached ones are small."""
    budget = MAX_RTF_BYTES
    with olefile.OleFileIO(data) as ole:
        for path in ole.listdir():
            if path[-1].lower() != _RTF_BODY:
                continue
            size = unpacked_size(ole.openstream(path).read(), budget)
            if size is None:
                return False
            budget -= size
    return True


def _underived(rtf: bytes, kind: object) -> None:
    """Derive no body from the RTF one (extract-msg's deencapsulation hook)."""
    return None


@dataclass(frozen=True)
class _StoredMsg:
    """An opened .msg whose bodies are the ones it stores, never derived."""

    subject: str | None
    sender: str | None
    body: str | None
    htmlBody: bytes | None  # extract-msg's camelCase name
    attachments: Sequence[MsgAttachmentView]


def _stored_msg(message: Any) -> _StoredMsg:
    """Take the stored bodies; an RTF-only body (already unpacked) as text."""
    body = message.getStringStream(_PLAIN_BODY)
    html = message.getStream(_HTML_BODY)
    rtf = message.rtfBody
    if body is None and html is None and rtf:
        body = rtf_text(rtf)
    return _StoredMsg(message.subject, message.sender, body, html, message.attachments)


def related_item_from_msg(message: MsgView, source_filename: str) -> RelatedItem:
    """Map the fields of an opened .msg onto a related item."""
    names = [
        safe_filename(item.name or "") or fallback_filename(index, "")
        for index, item in enumerate(message.attachments, 1)
    ]
    return RelatedItem(
        source_filename=source_filename,
        subject=(message.subject or "").strip(),
        sender=_sender(message.sender or ""),
        text=_body_text(message),
        attachment_names=names,
    )


def _sender(value: str) -> Address | None:
    """Return the sender's address, or None when only a name is given."""
    found = [item for item in parse_addresses([value]) if "@" in item.email]
    return found[0] if found else None


def _body_text(message: MsgView) -> str:
    """Return the plain body, else the HTML body rendered as text."""
    text = (message.body or "").replace("\r\n", "\n")
    if text.strip():
        return text.rstrip("\x00")
    html = message.htmlBody
    return html_to_text(decode_bytes(html, None, html=True)) if html else ""
