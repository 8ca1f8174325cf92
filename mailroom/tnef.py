"""winmail.dat (TNEF): the files and the body that Outlook wrapped in it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from tnefparse.tnef import TNEF

from mailroom import tnef_guard
from mailroom.bodies import html_to_text
from mailroom.charsets import decode_bytes
from mailroom.rtf import read_compressed_rtf, rtf_text

# tnefparse logs a warning for every property a damaged stream lacks; the
# caller records one defect for the whole stream instead.
logging.getLogger("tnefparse").setLevel(logging.ERROR)


@dataclass(frozen=True)
class TnefFile:
    """One file unpacked from a TNEF stream, its name as Outlook gave it."""

    name: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class TnefContent:
    """What a TNEF stream held: its files and its body as plain text."""

    files: list[TnefFile]
    body: str


def read_tnef(data: bytes) -> TnefContent | None:
    """Unpack a TNEF stream; None when it cannot be read.

    A stream that yields neither a file nor a body counts as unreadable, so
    the caller keeps the original rather than dropping it; so does one whose
    counts promise more than its bytes hold (see `tnef_guard`), and one
    whose only body is RTF that unpacks past `rtf.MAX_RTF_BYTES`.
    """
    if not tnef_guard.fits(data):
        return None
    try:
        tnef = TNEF(data, do_checksum=False)
        files = [_file(item) for item in tnef.attachments if item.data]
        body = _body(tnef)
    except Exception:  # tnefparse raises anything on hostile bytes
        return None
    if body is None or (not files and not body.strip()):
        return None
    return TnefContent(files=files, body=body)


def _file(attachment: Any) -> TnefFile:
    """Return one unpacked file with the best name the stream gives it."""
    try:
        name = str(attachment.long_filename() or "")
    except UnicodeDecodeError:
        name = ""
    return TnefFile(name=name.strip("\x00 "), data=bytes(attachment.data))


def _body(tnef: Any) -> str | None:
    """Return the body as text: plain first, then HTML, then RTF.

    None when the RTF is too large to unpack. tnefparse's `rtfbody` would
    unpack it whatever its size, so the compressed bytes are read instead.
    """
    if tnef.body:
        return _text(tnef.body, tnef.codepage)
    if tnef.htmlbody:
        return html_to_text(_text(tnef.htmlbody, tnef.codepage))
    compressed = tnef._rtfbody  # tnefparse keeps the packed bytes only here
    if not isinstance(compressed, bytes) or not compressed:
        return ""
    rtf = read_compressed_rtf(compressed)
    return None if rtf is None else rtf_text(rtf)


def _text(value: str | bytes, codepage: str | None) -> str:
    """Return a body property as text, decoding bytes in the stream's code page."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").rstrip("\x00")
    return decode_bytes(value.rstrip(b"\x00"), codepage).replace("\r\n", "\n")
