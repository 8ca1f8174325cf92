"""Header values of raw MIME: encoded words, addresses, ids, dates, priority."""

from __future__ import annotations

import base64
import binascii
import itertools
import re
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mailroom.bounds import root_and_newest
from mailroom.charsets import decode_bytes, decode_utf8_lenient, resolve_charset
from mailroom.models import Address, Header, Importance, NormalizedMail

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=\s]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# A References header names the thread's root and its newest mail last; past
# this many ids, the root and the newest are kept (RFC 5322 3.6.4 lets a
# writer trim the middle), so a forged list of thousands costs nothing.
MAX_THREAD_IDS = 100
# Stand-ins for encoded words while addresses are split. A header read from
# bytes holds only ASCII and escaped bytes, never these private-use marks.
_SET_ASIDE = re.compile("\ue000(\\d+)\ue001")


def read_headers(message: Message) -> NormalizedMail:
    """Read the mail's headers into a NormalizedMail that has no body yet."""
    date, defects = _date(message)
    senders = _addresses(message, "From")
    in_reply_to = _thread_ids(message, "In-Reply-To", defects)
    references = _thread_ids(message, "References", defects)
    return NormalizedMail(
        message_id=next(iter(parse_message_ids(message.get("Message-ID"))), None),
        in_reply_to=in_reply_to,
        references=references,
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
    return _CONTROLS.sub(" ", decode_words(raw)).strip()


def decode_words(raw: str) -> str:
    """Unfold a raw value, decode its encoded words, read its 8-bit bytes."""
    return decode_encoded_words(_unfold_lines(str(raw)))


def _unfold(raw: str) -> str:
    """Remove folding line breaks and read raw 8-bit bytes (RFC 6532)."""
    return _read_8bit(_unfold_lines(raw))


def _unfold_lines(raw: str) -> str:
    """Remove folding line breaks, leaving raw 8-bit bytes as they are."""
    return re.sub(r"\r?\n(?=[ \t])|[\r\n]+$", "", raw)


def _read_8bit(text: str) -> str:
    """Read the raw 8-bit bytes of a header as UTF-8, else Windows-1252."""
    return text if text.isascii() else decode_utf8_lenient(_raw_bytes(text))


def _raw_bytes(text: str) -> bytes:
    """Return the bytes a header value arrived as.

    Its 8-bit bytes are held as surrogates; characters already decoded, as
    in a value that did not come from bytes, become UTF-8.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def decode_encoded_words(text: str) -> str:
    """Decode RFC 2047 encoded words; words apart only by blanks are joined.

    Raw 8-bit bytes inside a word, which RFC 2047 forbids but senders
    write, are read in the word's charset, as its escaped bytes are.
    """
    chunks: list[str] = []
    run: list[tuple[str, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        charset, encoding, payload = match.groups()
        data = _word_bytes(encoding, payload)
        if data is None:
            continue  # no encoded word: it stays in the text as written
        gap = text[position : match.start()]
        if gap.strip() or not run:
            chunks.extend((_decode_run(run), _read_8bit(gap)))
            run = []
        run.append((charset.split("*")[0].lower(), data))
        position = match.end()
    chunks.extend((_decode_run(run), _read_8bit(text[position:])))
    return "".join(chunks)


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    """Return the bytes of one encoded word's B or Q payload.

    None when a B payload holds characters base64 never uses: text that only
    looks like an encoded word, which decoding would turn into garbage.
    """
    if encoding in "bB":
        if _NOT_BASE64.search(payload):
            return None
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        cleaned = cleaned[: len(cleaned) - 1] if len(cleaned) % 4 == 1 else cleaned
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
    return binascii.a2b_qp(_raw_bytes(payload), header=True)


def _decode_run(run: list[tuple[str, bytes]]) -> str:
    """Decode adjacent encoded words, joining the bytes of a shared charset.

    Senders split a multi-byte character across two words; joining the bytes
    first puts it back together.
    """
    text: list[str] = []
    for charset, group in itertools.groupby(run, key=lambda word: word[0]):
        data = b"".join(data for _, data in group)
        text.append(decode_bytes(_without_cut_character(data, charset), charset))
    return "".join(text)


def _without_cut_character(data: bytes, charset: str) -> bytes:
    """Drop a UTF-8 character cut off at the end of encoded words.

    Senders that shorten a long name by bytes cut its last character in
    two; read as Windows-1252, its first bytes would add letters no one
    wrote. Text with no other character past ASCII may be Latin-1 labelled
    as UTF-8 instead, and is left to the lenient reading.
    """
    if resolve_charset(charset) != "utf-8":
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        if exc.end == len(data) and exc.reason == "unexpected end of data":
            return data if head.isascii() else head
    return data


def _addresses(message: Message, name: str) -> list[Address]:
    """Return the addresses of every `name` header, display names decoded."""
    values = [_unfold_lines(str(value)) for value in message.get_all(name) or []]
    return parse_addresses(values)


def parse_addresses(values: list[str]) -> list[Address]:
    """Return the addresses in unfolded header values, display names decoded.

    Encoded words are set aside while the values are split into addresses:
    one that holds a comma, a quote or an angle bracket (RFC 2047 forbids
    them there, but senders write them) would otherwise split a name in two.
    """
    words: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        words.append(match.group())
        return f"\ue000{len(words) - 1}\ue001"

    def restore(text: str) -> str:
        return _SET_ASIDE.sub(lambda found: words[int(found.group(1))], text)

    addresses: list[Address] = []
    set_apart = [_ENCODED_WORD.sub(set_aside, value) for value in values]
    for display, address in getaddresses(set_apart):
        email_address = decode_header_value(restore(address))
        if email_address:
            name = decode_header_value(restore(display))
            addresses.append(Address(email=email_address, name=name))
    return addresses


def parse_message_ids(value: str | None) -> list[str]:
    """Return the message ids of a header as `<id>` strings, in order."""
    if not value:
        return []
    text = _unfold(str(value))
    found = _MESSAGE_ID.findall(text) or [t for t in text.split() if "@" in t]
    ids = (re.sub(r"\s+", "", item).strip("<>") for item in found)
    return list(dict.fromkeys("<" + item + ">" for item in ids if item))


def _thread_ids(message: Message, name: str, defects: list[str]) -> list[str]:
    """Return a threading header's ids: the first and the newest past the cap."""
    ids = parse_message_ids(message.get(name))
    if len(ids) <= MAX_THREAD_IDS:
        return ids
    defects.append(
        f"{name} named {len(ids)} message ids; the first and the last "
        f"{MAX_THREAD_IDS - 1} are kept."
    )
    return root_and_newest(ids, MAX_THREAD_IDS)


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
