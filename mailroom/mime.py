"""Raw MIME bytes to the normalized mail that every rule works on."""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import io
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parsedate_to_datetime

from mailroom.bodies import decode_bytes, decode_utf8_lenient, html_to_text
from mailroom.models import (
    Address,
    Attachment,
    AttachmentData,
    Header,
    Importance,
    NormalizedMail,
    ParsedMail,
)

_TOKEN_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")

_ABSOLUTE_PATH = re.compile(r"^(?:/|[A-Za-z]:/)")
_RESERVED = set('<>:"/\\|?*')
_DEVICE_NAMES = {"con", "prn", "aux", "nul"} | {
    prefix + str(number) for prefix in ("com", "lpt") for number in range(10)
}
_MAX_NAME_BYTES = 200
_EXTENSIONS = {
    "application/octet-stream": "bin",
    "application/pgp-signature": "asc",
    "application/pkcs7-signature": "p7s",
    "application/x-pkcs7-signature": "p7s",
    "application/ms-tnef": "dat",
    "application/vnd.ms-tnef": "dat",
    "image/jpeg": "jpg",
    "image/svg+xml": "svg",
    "message/rfc822": "eml",
    "message/delivery-status": "txt",
    "message/disposition-notification": "txt",
    "text/plain": "txt",
    "text/calendar": "ics",
    "text/enriched": "txt",
    "text/markdown": "md",
}


class _RawPolicy(Compat32):
    """Keep header values exactly as they arrived; Mailroom decodes them."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        """Return the stored value untouched (Compat32 would wrap 8-bit ones)."""
        return value

    def fold_binary(self, name: str, value: str) -> bytes:
        """Write a header back with its original folding and bytes."""
        return f"{name}: {value}{self.linesep}".encode("ascii", "surrogateescape")


_POLICY = _RawPolicy()


class _RawGenerator(BytesGenerator):
    """Write a message back as it arrived, broken multiparts included."""

    def _handle_multipart(self, msg: Message) -> None:
        """Write a multipart whose boundary was never found as plain text.

        The stdlib would decode its body with `replace` and then fail to
        write the result back as ASCII.
        """
        if msg.is_multipart():
            super()._handle_multipart(msg)  # type: ignore[misc]
        else:
            self._handle_text(msg)  # type: ignore[attr-defined]


@dataclass
class _Parts:
    """What a walk over the MIME tree found: body parts and attachments."""

    plain: list[Message] = field(default_factory=list)
    html: list[Message] = field(default_factory=list)
    files: list[AttachmentData] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse raw MIME bytes into a normalized mail and its attachments.

    Never raises: whatever cannot be read is listed in `mail.defects`.
    """
    try:
        return _parse(raw)
    except Exception as exc:  # the one place that must turn any failure into data
        defect = "The mail could not be parsed (" + type(exc).__name__ + ")."
        return ParsedMail(mail=NormalizedMail(defects=[defect]))


def _parse(raw: bytes) -> ParsedMail:
    """Parse the bytes; any exception is handled by `parse_mail`."""
    linesep = "\r\n" if b"\r\n" in raw[:4096] else "\n"
    policy = _POLICY.clone(linesep=linesep)
    message = email.message_from_bytes(raw, policy=policy)
    parts = _walk(message)

    text_body, html_body = _bodies(parts)
    headers = _read_headers(message)
    defects = dict.fromkeys([*headers.defects, *parts.defects])
    mail = headers.model_copy(
        update={
            "content_type": _content_type(message),
            "report_type": _report_type(message),
            "text_body": text_body,
            "html_body": html_body,
            "attachments": [item.meta for item in parts.files],
            "defects": list(defects),
        }
    )
    return ParsedMail(mail=mail, files=parts.files)


def _walk(message: Message) -> _Parts:
    """Choose the body parts, then turn every other leaf into an attachment."""
    parts = _Parts(plain=_body_parts(message, "plain"))
    parts.html = _body_parts(message, "html")
    chosen = {id(part) for part in [*parts.plain, *parts.html]}
    leaves = [leaf for leaf in _leaves(message) if id(leaf[0]) not in chosen]
    if not chosen:
        parts.plain = _inline_text_files([leaf for leaf, _ in leaves])

    names = unique_filenames(
        [_filename(leaf, index) for index, (leaf, _) in enumerate(leaves, 1)]
    )
    for (leaf, in_related), name in zip(leaves, names, strict=True):
        parts.files.append(_attachment(leaf, name, in_related))
    for part in message.walk():
        parts.defects.extend(_describe_defect(defect) for defect in part.defects)
    return parts


def _inline_text_files(leaves: list[Message]) -> list[Message]:
    """Return the first text file shown inline, read as the body of a mail
    that has no other; it stays an attachment too.
    """
    for leaf in leaves:
        inline = leaf.get_content_disposition() == "inline"
        if inline and leaf.get_content_type() == "text/plain":
            return [leaf]
    return []


def _body_parts(part: Message, kind: str) -> list[Message]:
    """Return the parts that make the `kind` body (`plain` or `html`)."""
    subtype = part.get_content_subtype()
    if _is_message(part) or not part.is_multipart():
        return [part] if _is_body_leaf(part, kind) else []
    children = [child for child in _children(part) if not _is_attachment(child)]
    if subtype == "alternative":
        ordered = children if kind == "plain" else children[::-1]
        found = (_body_parts(child, kind) for child in ordered)
        return next((parts for parts in found if parts), [])
    if subtype == "related":
        return _body_parts(_related_root(part, children), kind) if children else []
    return [body for child in children for body in _body_parts(child, kind)]


def _is_body_leaf(part: Message, kind: str) -> bool:
    """Tell whether a leaf is readable text of `kind` rather than a file."""
    if part.get_content_maintype() != "text" or _is_attachment(part):
        return False
    return part.get_content_subtype() == kind


def _is_attachment(part: Message) -> bool:
    """Tell whether a part is meant as a file: a disposition or a name."""
    if _is_message(part):
        return True
    if part.is_multipart():
        return part.get_content_disposition() == "attachment"
    disposition = part.get_content_disposition()
    return disposition == "attachment" or _raw_filename(part) is not None


def _related_root(part: Message, children: list[Message]) -> Message:
    """Return the root of a multipart/related: its `start` part or the first."""
    start = part.get_param("start")
    if isinstance(start, str):
        wanted = start.strip().strip("<>")
        for child in children:
            if str(child.get("Content-ID", "")).strip().strip("<>") == wanted:
                return child
    return children[0]


def _leaves(part: Message, in_related: bool = False) -> Iterator[tuple[Message, bool]]:
    """Yield every leaf with whether it sits in a multipart/related."""
    if _is_message(part) or not part.is_multipart():
        yield part, in_related
        return
    related = in_related or part.get_content_subtype() == "related"
    for child in _children(part):
        yield from _leaves(child, related)


def _children(part: Message) -> list[Message]:
    """Return the subparts of a multipart, ignoring anything that is not one."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


def _is_message(part: Message) -> bool:
    """Tell whether a part is an attached message (message/*)."""
    return part.get_content_maintype() == "message"


def _bodies(parts: _Parts) -> tuple[str, str | None]:
    """Decode the body parts; fall back to the HTML's text for a blank one."""
    plain = "\n".join(_part_text(part, html=False) for part in parts.plain)
    html = "\n".join(_part_text(part, html=True) for part in parts.html) or None
    if not plain.strip() and html:
        plain = html_to_text(html)
    return plain.replace("\r\n", "\n"), html


def _part_text(part: Message, html: bool) -> str:
    """Decode one text part with its declared or detected charset."""
    charset = part.get_param("charset")
    label = charset if isinstance(charset, str) else None
    return decode_bytes(_payload_bytes(part), label, html=html)


def _payload_bytes(part: Message) -> bytes:
    """Return a leaf's decoded bytes; an attached message as an .eml file."""
    if part.is_multipart():
        return b"".join(_message_bytes(item) for item in _children(part))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _message_bytes(message: Message) -> bytes:
    """Serialize a message with its headers and bodies as they arrived."""
    buffer = io.BytesIO()
    _RawGenerator(buffer, mangle_from_=False).flatten(message)
    return buffer.getvalue()


def _attachment(part: Message, name: str, in_related: bool) -> AttachmentData:
    """Describe one leaf as an attachment, with its bytes and their hash."""
    data = _payload_bytes(part)
    content_id = _content_id(part)
    disposition = part.get_content_disposition()
    meta = Attachment(
        filename=name,
        content_type=_content_type(part),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content_id=content_id,
        inline=disposition == "inline"
        or (disposition is None and content_id is not None and in_related),
    )
    return AttachmentData(meta=meta, data=data)


def _filename(part: Message, index: int) -> str:
    """Return the safe name a leaf is stored under; never empty."""
    if part.get_content_type() == "message/rfc822":
        subject = _inner_subject(part)
        if subject:
            return safe_filename(subject + ".eml")
    raw = _raw_filename(part)
    name = safe_filename(_decode_words(raw)) if raw else ""
    return name or fallback_filename(index, _content_type(part))


def _raw_filename(part: Message) -> str | None:
    """Return the file name a part gives itself, RFC 2231 already applied."""
    name = part.get_filename()
    return name if isinstance(name, str) and name.strip() else None


def _inner_subject(part: Message) -> str:
    """Return the decoded subject of an attached message, or ''."""
    inner = _children(part)
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


def _content_type(part: Message) -> str:
    """Return the part's content type, or a safe default when it is garbage."""
    ctype = part.get_content_type()
    if _TOKEN_TYPE.match(ctype):
        return ctype
    return "application/octet-stream"


def _report_type(message: Message) -> str | None:
    """Return the report-type of a multipart/report, else None."""
    if message.get_content_type() != "multipart/report":
        return None
    value = message.get_param("report-type")
    return value.strip().lower() if isinstance(value, str) else None


def _describe_defect(defect: Exception) -> str:
    """Turn a parser defect class into a short sentence."""
    name = type(defect).__name__.removesuffix("Defect")
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()
    return "MIME defect: " + words + "."


# Headers


def _read_headers(message: Message) -> NormalizedMail:
    """Read the mail's headers into a NormalizedMail that has no body yet."""
    date, defects = _date(message)
    senders = _addresses(message, "From")
    return NormalizedMail(
        message_id=next(iter(_ids(message.get("Message-ID"))), None),
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        subject=decode_header_value(message.get("Subject") or ""),
        sender=senders[0] if senders else None,
        reply_to=_addresses(message, "Reply-To"),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        date=date,
        importance=_importance(message),
        headers=[
            Header(name=decode_header_value(name), value=decode_header_value(value))
            for name, value in message.items()
        ],
        defects=defects,
    )


def decode_header_value(raw: str) -> str:
    """Decode a raw header value to one line of text."""
    return _CONTROLS.sub(" ", _decode_words(raw)).strip()


def _decode_words(raw: str) -> str:
    """Unfold a raw value, read its 8-bit bytes, decode its encoded words."""
    return decode_encoded_words(_unfold(str(raw)))


def _unfold(raw: str) -> str:
    """Remove folding line breaks and read raw 8-bit bytes (RFC 6532)."""
    text = re.sub(r"\r?\n(?=[ \t])|[\r\n]+$", "", raw)
    if text.isascii():
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return decode_utf8_lenient(data)


def decode_encoded_words(text: str) -> str:
    """Decode RFC 2047 encoded words; words apart only by blanks are joined."""
    chunks: list[str] = []
    run: list[tuple[str, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        if gap.strip() or not run:
            chunks.extend((_decode_run(run), gap))
            run = []
        charset, encoding, payload = match.groups()
        run.append((charset.split("*")[0].lower(), _word_bytes(encoding, payload)))
        position = match.end()
    chunks.extend((_decode_run(run), text[position:]))
    return "".join(chunks)


def _word_bytes(encoding: str, payload: str) -> bytes:
    """Return the bytes of one encoded word's B or Q payload."""
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned = cleaned[: len(cleaned) - 1] if len(cleaned) % 4 == 1 else cleaned
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    return binascii.a2b_qp(payload.encode("utf-8", "replace"), header=True)


def _decode_run(run: list[tuple[str, bytes]]) -> str:
    """Decode adjacent encoded words, joining the bytes of a shared charset.

    Senders split a multi-byte character across two words; joining the bytes
    first puts it back together.
    """
    text: list[str] = []
    for charset, group in itertools.groupby(run, key=lambda word: word[0]):
        data = b"".join(data for _, data in group)
        text.append(decode_bytes(data, charset))
    return "".join(text)


def _addresses(message: Message, name: str) -> list[Address]:
    """Return the addresses of every `name` header, display names decoded."""
    values = [_unfold(str(value)) for value in message.get_all(name) or []]
    addresses: list[Address] = []
    for display, address in getaddresses(values):
        email_address = decode_header_value(address)
        if email_address:
            addresses.append(
                Address(email=email_address, name=decode_header_value(display))
            )
    return addresses


def _ids(value: str | None) -> list[str]:
    """Return the message ids of a header as `<id>` strings, in order."""
    if not value:
        return []
    text = _unfold(str(value))
    found = _MESSAGE_ID.findall(text) or [t for t in text.split() if "@" in t]
    ids = (re.sub(r"\s+", "", item).strip("<>") for item in found)
    return list(dict.fromkeys("<" + item + ">" for item in ids if item))


def _importance(message: Message) -> Importance:
    """Read the importance from the first header that states one."""
    for name in ("Importance", "X-Priority", "X-MSMail-Priority", "Priority"):
        value = message.get(name)
        level = _importance_level(str(value)) if value else None
        if level is not None:
            return level
    return "normal"


def _importance_level(value: str) -> Importance | None:
    """Map one importance or priority value to low, normal or high."""
    word = value.strip().lower()
    if word[:1].isdigit():
        return "high" if word[0] in "12" else "low" if word[0] in "45" else "normal"
    if word.startswith(("high", "urgent")):
        return "high"
    if word.startswith(("low", "non-urgent")):
        return "low"
    return "normal" if word.startswith("normal") else None


def _date(message: Message) -> tuple[datetime | None, list[str]]:
    """Return the Date, else the newest Received date, with any defect."""
    defects: list[str] = []
    value = message.get("Date")
    if value:
        parsed = _parse_date(str(value))
        if parsed is not None:
            return parsed, defects
        defects.append("The Date header could not be parsed.")
    received = message.get_all("Received") or []
    dates = [_parse_date(str(item).rpartition(";")[2]) for item in received]
    known = [date for date in dates if date is not None]
    return (max(known) if known else None), defects


def _parse_date(text: str) -> datetime | None:
    """Parse an RFC 5322 date into an aware datetime, or return None."""
    try:
        parsed = parsedate_to_datetime(_unfold(text).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# File names


def safe_filename(name: str) -> str:
    """Return `name` safe to store on any file system; '' if nothing is left.

    A client's absolute path keeps only its base name; the separators of a
    relative one become `_`, so no name can leave its folder.
    """
    path = unicodedata.normalize("NFC", name).replace("\\", "/")
    if _ABSOLUTE_PATH.match(path):
        path = path.rsplit("/", 1)[-1]
    segments = [segment for segment in path.split("/") if segment]
    while segments and not segments[0].strip(" ."):
        segments.pop(0)

    flat = "".join(_safe_char(char) for char in "_".join(segments)).strip(" .")
    if flat.split(".")[0].lower() in _DEVICE_NAMES:
        flat = "_" + flat
    return _shorten(flat)


def _safe_char(char: str) -> str:
    """Replace a reserved or control character; drop invisible ones."""
    if char in _RESERVED:
        return "_"
    category = unicodedata.category(char)
    if category in ("Cc", "Zl", "Zp"):
        return "_"
    return "" if category in ("Cf", "Cs", "Co", "Cn") else char


def _shorten(name: str) -> str:
    """Cut a long name to the byte limit, keeping its extension."""
    if len(name.encode()) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    budget = _MAX_NAME_BYTES - len(extension.encode()) - 1
    stem = stem.encode()[:budget].decode("utf-8", "ignore")
    return stem + "." + extension if extension else stem


def fallback_filename(index: int, content_type: str) -> str:
    """Return `attachment-N.<ext>` for a part that names no file."""
    subtype = content_type.partition("/")[2]
    extension = _EXTENSIONS.get(content_type)
    if extension is None:
        extension = subtype if re.fullmatch(r"[a-z0-9]{1,8}", subtype) else "bin"
    return "attachment-" + str(index) + "." + extension


def unique_filenames(names: list[str]) -> list[str]:
    """Make names unique in one mail: `-2`, `-3` go before the extension."""
    seen: set[str] = set()
    unique: list[str] = []
    for name in names:
        candidate, number = name, 1
        while candidate.lower() in seen:
            number += 1
            stem, dot, extension = name.rpartition(".")
            candidate = f"{stem}-{number}.{extension}" if dot else f"{name}-{number}"
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique
