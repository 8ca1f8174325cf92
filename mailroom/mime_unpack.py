"""Files that hold more than their bytes: winmail.dat, .msg, .eml, S/MIME.

A readable winmail.dat is replaced by the files it wraps; an attached mail
(.eml or .msg) stays attached and is also read as a related item. What
cannot be read stays attached, with a defect that says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from mailroom.mime_names import (
    content_type_for,
    fallback_filename,
    safe_filename,
    unique_filenames,
)
from mailroom.models import Attachment, AttachmentData, NormalizedMail, RelatedItem
from mailroom.outlook_msg import read_outlook_msg
from mailroom.tnef import TnefFile, read_tnef

ReadMessage = Callable[[bytes], NormalizedMail]

_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_OPAQUE_SMIME_TYPES = {"application/pkcs7-mime", "application/x-pkcs7-mime"}
TNEF_UNREADABLE = "A winmail.dat (TNEF) could not be unpacked; it is kept as is."
MSG_UNREADABLE = "An attached Outlook message could not be read; it is kept as is."
SMIME_UNREADABLE = (
    "Encrypted or opaque S/MIME content cannot be read; it is kept as a file."
)


@dataclass
class Unpacked:
    """The mail's files after unpacking, and what the unpacking found."""

    files: list[AttachmentData] = field(default_factory=list)
    related: list[RelatedItem] = field(default_factory=list)
    body: str = ""
    defects: list[str] = field(default_factory=list)


def unpack_files(
    files: list[AttachmentData], read_message: ReadMessage | None
) -> Unpacked:
    """Unpack the containers among a mail's files; names stay unique.

    `read_message` parses an attached .eml; None leaves .eml files unread
    (the caller passes None once mail is nested too deep).
    """
    result = Unpacked()
    for item in files:
        _unpack_one(item, read_message, result)
    names = unique_filenames([item.meta.filename for item in result.files])
    pairs = zip(result.files, names, strict=True)
    result.files = [_renamed(item, name) for item, name in pairs]
    return result


def _unpack_one(
    item: AttachmentData, read_message: ReadMessage | None, result: Unpacked
) -> None:
    """Add one file, or what it unpacks to, to the result."""
    meta = item.meta
    if item.left_off is not None:
        result.files.append(item)  # never read into memory: kept as it is
        return
    if is_tnef(meta):
        if _add_tnef(item, result):
            return
        result.defects.append(TNEF_UNREADABLE)
    elif is_outlook_msg(meta):
        related = read_outlook_msg(item.data, meta.filename)
        if related is None:
            result.defects.append(MSG_UNREADABLE)
        else:
            result.related.append(related)
    elif meta.content_type == "message/rfc822" and read_message is not None:
        result.related.append(related_item(read_message(item.data), meta.filename))
    elif meta.content_type in _OPAQUE_SMIME_TYPES:
        result.defects.append(SMIME_UNREADABLE)
    result.files.append(item)


def is_tnef(meta: Attachment) -> bool:
    """Tell whether a file is a TNEF stream (winmail.dat)."""
    return meta.content_type in _TNEF_TYPES or meta.filename.lower() == "winmail.dat"


def is_outlook_msg(meta: Attachment) -> bool:
    """Tell whether a file is an Outlook message (.msg)."""
    named = meta.filename.lower().endswith(".msg")
    return meta.content_type == "application/vnd.ms-outlook" or named


def _add_tnef(item: AttachmentData, result: Unpacked) -> bool:
    """Add the files and body of a TNEF stream; False if it is unreadable."""
    content = read_tnef(item.data)
    if content is None:
        return False
    start = len(result.files) + 1
    for index, unpacked in enumerate(content.files, start):
        result.files.append(_tnef_attachment(unpacked, index))
    if not result.body.strip():
        result.body = content.body
    return True


def _tnef_attachment(unpacked: TnefFile, index: int) -> AttachmentData:
    """Describe one file from a TNEF stream as an ordinary attachment."""
    name = safe_filename(unpacked.name)
    content_type = content_type_for(name)
    meta = Attachment(
        filename=name or fallback_filename(index, content_type),
        content_type=content_type,
        size=len(unpacked.data),
        sha256=hashlib.sha256(unpacked.data).hexdigest(),
    )
    return AttachmentData(meta=meta, data=unpacked.data)


def related_item(mail: NormalizedMail, source_filename: str) -> RelatedItem:
    """Describe an attached mail, parsed already, as a related item."""
    return RelatedItem(
        source_filename=source_filename,
        subject=mail.subject,
        sender=mail.sender,
        text=mail.text_body,
        attachment_names=[item.filename for item in mail.attachments],
    )


def _renamed(item: AttachmentData, name: str) -> AttachmentData:
    """Return the file under `name`, unchanged if the name is the same."""
    if item.meta.filename == name:
        return item
    meta = item.meta.model_copy(update={"filename": name})
    return item.model_copy(update={"meta": meta})
