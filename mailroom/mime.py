"""Raw MIME bytes to the normalized mail that every rule works on."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message

from mailroom.bodies import HTML_FLATTENED, render_html
from mailroom.charsets import decode_bytes
from mailroom.cloud_links import find_cloud_links
from mailroom.detection_budget import MAX_DETECTIONS, limited_detection
from mailroom.mime_headers import (
    decode_encoded_words,
    decode_header_value,
    decode_words,
    read_headers,
)
from mailroom.mime_meta import MetaParts, find_meta_parts
from mailroom.mime_names import fallback_filename, safe_filename, unique_filenames
from mailroom.mime_nesting import NESTED_TOO_DEEP, is_left_unread
from mailroom.mime_params import TOO_MANY_PARAMS, has_too_many_params
from mailroom.mime_raw import message_bytes, read_message
from mailroom.mime_salvage import salvage_mail
from mailroom.mime_spool import LEFT_OFF_HEADER, LeftOff, read_left_off
from mailroom.mime_tree import (
    body_parts,
    children,
    content_type,
    leaves,
    raw_filename,
    report_type,
)
from mailroom.mime_unpack import ReadMessage, unpack_files
from mailroom.models import Attachment, AttachmentData, ParsedMail

__all__ = [
    "decode_encoded_words",
    "decode_header_value",
    "fallback_filename",
    "parse_mail",
    "safe_filename",
    "unique_filenames",
]

# An attached mail is read as a related item down to this depth, no further.
_MAX_DEPTH = 3
CHARSETS_UNDETECTED = (
    f"More than {MAX_DETECTIONS} parts of the mail name no usable charset; "
    "the rest were read as UTF-8, else Windows-1252, without detection."
)


@dataclass
class _Parts:
    """What a walk over the MIME tree found: body parts and attachments."""

    plain: list[Message] = field(default_factory=list)
    html: list[Message] = field(default_factory=list)
    files: list[AttachmentData] = field(default_factory=list)
    meta: MetaParts = field(default_factory=MetaParts)
    defects: list[str] = field(default_factory=list)


def parse_mail(raw: bytes, left_off_token: str | None = None) -> ParsedMail:
    """Parse raw MIME bytes into a normalized mail and its attachments.

    `raw` may be a skeleton from MimeSpool: its files marked with
    `left_off_token` are described from the mark, without their bytes.
    Never raises: whatever cannot be read is listed in `mail.defects`.
    """
    with limited_detection() as budget:
        parsed = _parse_guarded(raw, depth=0, left_off_token=left_off_token)
    if not budget.refused:
        return parsed
    defects = [*parsed.mail.defects, CHARSETS_UNDETECTED]
    mail = parsed.mail.model_copy(update={"defects": defects})
    return parsed.model_copy(update={"mail": mail})


def _parse_guarded(
    raw: bytes, depth: int, left_off_token: str | None = None
) -> ParsedMail:
    """Parse a mail nested `depth` levels deep, turning failure into a defect.

    A mail whose body cannot be read still gives its headers and what text
    can be read safely (see `mime_salvage`).
    """
    try:
        return _parse(raw, depth, left_off_token)
    except Exception as exc:  # the one place that must turn any failure into data
        return ParsedMail(mail=salvage_mail(raw, exc))


def _parse(raw: bytes, depth: int, left_off_token: str | None) -> ParsedMail:
    """Parse the bytes; any exception is handled by `_parse_guarded`."""
    message = read_message(raw)
    parts = _walk(message, left_off_token)
    unpacked = unpack_files(parts.files, _message_reader(depth))

    text_body, html_body = _bodies(parts)
    if not text_body.strip() and unpacked.body.strip():
        text_body = unpacked.body
    headers = read_headers(message)
    defects = [*headers.defects, *parts.defects, *unpacked.defects]
    mail = headers.model_copy(
        update={
            "content_type": content_type(message),
            "report_type": report_type(message),
            "text_body": text_body,
            "html_body": html_body,
            "attachments": [item.meta for item in unpacked.files],
            "cloud_links": find_cloud_links(html_body, text_body),
            "related": unpacked.related,
            "signature": parts.meta.signature,
            "returned_message_ids": parts.meta.returned_ids,
            "defects": list(dict.fromkeys(defects)),
        }
    )
    return ParsedMail(mail=mail, files=unpacked.files)


def _message_reader(depth: int) -> ReadMessage | None:
    """Return how to read an attached mail one level down, or None past the cap."""
    if depth + 1 >= _MAX_DEPTH:
        return None
    return lambda raw: _parse_guarded(raw, depth + 1).mail


def _walk(message: Message, left_off_token: str | None) -> _Parts:
    """Choose the body parts, then turn every other leaf into an attachment."""
    parts = _Parts(plain=body_parts(message, "plain"), meta=find_meta_parts(message))
    parts.html = body_parts(message, "html")
    skipped = {id(part) for part in [*parts.plain, *parts.html]}
    found = [leaf for leaf in leaves(message) if id(leaf[0]) not in skipped]
    if not skipped:
        parts.plain = _inline_text_files([leaf for leaf, _ in found])
    found = [leaf for leaf in found if id(leaf[0]) not in parts.meta.part_ids]

    names = unique_filenames(
        [_filename(leaf, index) for index, (leaf, _) in enumerate(found, 1)]
    )
    for (leaf, in_related), name in zip(found, names, strict=True):
        parts.files.append(_attachment(leaf, name, in_related, left_off_token))
    for part in message.walk():
        parts.defects.extend(_describe_defect(defect) for defect in part.defects)
        if any(has_too_many_params(*item) for item in part.raw_items()):
            parts.defects.append(TOO_MANY_PARAMS)
        if is_left_unread(part):
            parts.defects.append(NESTED_TOO_DEEP)
    return parts


def _inline_text_files(parts: list[Message]) -> list[Message]:
    """Return the first text file shown inline, read as the body of a mail
    that has no other; it stays an attachment too.
    """
    for part in parts:
        inline = part.get_content_disposition() == "inline"
        if inline and part.get_content_type() == "text/plain":
            return [part]
    return []


def _bodies(parts: _Parts) -> tuple[str, str | None]:
    """Decode the body parts; fall back to the HTML's text for a blank one.

    When the HTML says something the plain part leaves out (alternatives
    that disagree, as some gateways produce), its text is added below the
    plain text, so nothing the sender wrote is lost.
    """
    plain = "\n".join(_part_text(part, html=False) for part in parts.plain)
    html = "\n".join(_part_text(part, html=True) for part in parts.html) or None
    if html is None:
        return plain.replace("\r\n", "\n"), html

    rendered = render_html(html)
    if rendered.flattened:
        parts.defects.append(HTML_FLATTENED)
    if not plain.strip():
        plain = rendered.text
    elif _disagree(plain, rendered.text):
        plain = f"{plain.rstrip()}\n\n{rendered.text.strip()}\n"
        parts.defects.append("the plain and HTML parts differ; both are kept")
    return plain.replace("\r\n", "\n"), html


def _disagree(plain: str, html_text: str) -> bool:
    """Tell whether most words of the HTML's text are missing from the plain."""
    html_words = _words(html_text)
    if len(html_words) < 3:
        return False
    missing = html_words - _words(plain)
    return len(missing) > len(html_words) / 2


def _words(text: str) -> set[str]:
    """Return the lower-cased words of a text, for comparing alternatives."""
    return {word.casefold() for word in re.findall(r"\w{2,}", text)}


def _part_text(part: Message, html: bool) -> str:
    """Decode one text part with its declared or detected charset."""
    charset = part.get_param("charset")
    label = charset if isinstance(charset, str) else None
    return decode_bytes(_payload_bytes(part), label, html=html)


def _payload_bytes(part: Message) -> bytes:
    """Return a leaf's decoded bytes; an attached message as an .eml file."""
    if part.is_multipart():
        return b"".join(message_bytes(item) for item in children(part))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _attachment(
    part: Message, name: str, in_related: bool, left_off_token: str | None
) -> AttachmentData:
    """Describe one leaf as an attachment, with its bytes and their hash.

    A file the skeleton left off is described from its mark, bytes empty.
    """
    left_off = _left_off(part, left_off_token)
    data = b"" if left_off is not None else _payload_bytes(part)
    content_id = _content_id(part)
    disposition = part.get_content_disposition()
    meta = Attachment(
        filename=name,
        content_type=content_type(part),
        size=len(data) if left_off is None else left_off.size,
        sha256=hashlib.sha256(data).hexdigest()
        if left_off is None
        else left_off.sha256,
        content_id=content_id,
        inline=disposition == "inline"
        or (disposition is None and content_id is not None and in_related),
    )
    limit = None if left_off is None else left_off.limit
    return AttachmentData(meta=meta, data=data, left_off=limit)


def _left_off(part: Message, token: str | None) -> LeftOff | None:
    """Return what the skeleton's mark says of a left-off file, if it is ours."""
    value = part.get(LEFT_OFF_HEADER)
    if token is None or value is None:
        return None
    return read_left_off(str(value), token)


def _filename(part: Message, index: int) -> str:
    """Return the safe name a leaf is stored under; never empty."""
    if part.get_content_type() == "message/rfc822":
        subject = _inner_subject(part)
        if subject:
            return safe_filename(subject + ".eml")
    raw = raw_filename(part)
    name = safe_filename(decode_words(raw)) if raw else ""
    return name or fallback_filename(index, content_type(part))


def _inner_subject(part: Message) -> str:
    """Return the decoded subject of an attached message, or ''."""
    inner = children(part)
    if not inner:
        return ""
    subject = inner[0].get("Subject")
    return decode_header_value(subject) if subject else ""


def _content_id(part: Message) -> str | None:
    """Return the Content-ID without angle brackets, or None."""
    value = part.get("Content-ID")
    if not value:
        return None
    cleaned = re.sub(r"\s+", "", decode_header_value(value))
    return cleaned.strip("<>") or None


def _describe_defect(defect: Exception) -> str:
    """Turn a parser defect class into a short sentence."""
    name = type(defect).__name__.removesuffix("Defect")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return "MIME defect: " + words + "."
