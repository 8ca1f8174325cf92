"""Mail text bytes to str: declared charsets, their aliases, and detection."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from mailroom.detection_budget import take_detection

# Labels mail clients send that Python does not know, or knows as a narrower
# charset than the one the text really uses (the WHATWG encoding standard
# maps these the same way; a superset decodes everything the subset does).
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "big5": "big5hkscs",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "x-user-defined": "cp1252",
}

# Python codecs that are not charsets a mail could be written in.
_NOT_MAIL_CHARSETS = {
    "idna",
    "punycode",
    "raw-unicode-escape",
    "unicode-escape",
    "undefined",
    "mbcs",
    "oem",
}

# Detection on a short text is a guess; limiting it to the charsets mail is
# commonly written in keeps the guess among plausible ones.
_DETECTABLE = [
    "cp1252", "cp1250", "cp1251", "koi8_r", "iso8859_2", "iso8859_5",
    "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp874",
    "cp932", "euc_jp", "iso2022_jp", "gb18030", "big5", "cp949",
]  # fmt: skip

_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)


def resolve_charset(label: str | None) -> str | None:
    """Return the Python codec for a charset label, or None if it is unusable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
        b"a".decode(codec, errors="replace")  # refuses non-text codecs
    except (LookupError, ValueError):
        return _resolve_x_label(name)
    return None if codec in _NOT_MAIL_CHARSETS else codec


def _resolve_x_label(name: str) -> str | None:
    """Try a label once more without the `x-` prefix of unofficial names."""
    if not name.startswith("x-"):
        return None
    return resolve_charset(name[2:])


def decode_bytes(data: bytes, charset: str | None, html: bool = False) -> str:
    """Decode text bytes: declared charset, HTML meta, then detection.

    Never raises; bytes no charset explains are read as Windows-1252.
    """
    declared = resolve_charset(charset)
    if declared is None and html:
        declared = resolve_charset(_meta_charset(data))
    if declared in (None, "ascii"):
        return _decode_undeclared(data)
    if declared == "utf-8":
        return decode_utf8_lenient(data)
    if declared == "cp1252":
        return _decode_cp1252(data)

    text = _decode_strict(data, declared)
    if text is None and declared.startswith("iso2022_jp"):
        text = decode_iso2022jp_windows(data)
    if text is None:
        text = data.decode(declared, errors="replace")
    return text


def _decode_undeclared(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-8 if valid, else a detected one."""
    text = _decode_strict(data, "utf-8")
    if text is not None:
        return text
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if not take_detection():
        return decode_utf8_lenient(data)

    sample = data[:65536]
    best = charset_normalizer.from_bytes(sample, cp_isolation=_DETECTABLE).best()
    detected = resolve_charset(best.encoding) if best is not None else None
    if detected is not None and detected != "utf-8":
        text = _decode_strict(data, detected)
        if text is not None:
            return text
    return decode_utf8_lenient(data)


def _decode_strict(data: bytes, codec: str) -> str | None:
    """Decode with `codec`, or return None when the bytes do not fit it."""
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError):
        return None


def decode_utf8_lenient(data: bytes) -> str:
    """Decode UTF-8, reading any byte that is not valid UTF-8 as Windows-1252."""
    return data.decode("utf-8", errors=_AS_CP1252)


def _read_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Read the bytes UTF-8 refused as Windows-1252, and go on after them.

    One pass over the bytes: restarting the decoder after each bad byte
    would copy the rest of the text once per bad byte.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _decode_cp1252(error.object[error.start : error.end]), error.end


_AS_CP1252 = "mailroom-as-cp1252"
codecs.register_error(_AS_CP1252, _read_as_cp1252)


def _decode_cp1252(data: bytes) -> str:
    """Decode Windows-1252, reading its five unassigned bytes as Latin-1."""
    text = _decode_strict(data, "cp1252")
    if text is not None:
        return text
    return "".join(
        _decode_strict(bytes([byte]), "cp1252") or chr(byte) for byte in data
    )


def decode_iso2022jp_windows(data: bytes) -> str:
    """Decode ISO-2022-JP as Windows writes it (CP50220), NEC symbols included.

    Outlook puts characters such as ① or № in ISO-2022-JP mail; Python's
    codec rejects them, while cp932 knows them once the codes are shifted.
    """
    sjis = bytearray()
    for escape, chunk in _iso2022_runs(data):
        if escape in (b"\x1b$B", b"\x1b$@"):
            for first, second in zip(chunk[::2], chunk[1::2], strict=False):
                sjis += _jis_to_sjis(first, second)
        elif escape == b"\x1b(I":
            sjis += bytes(byte | 0x80 for byte in chunk)
        else:
            sjis += chunk
    return bytes(sjis).decode("cp932", errors="replace")


def _iso2022_runs(data: bytes) -> list[tuple[bytes, bytes]]:
    """Split ISO-2022-JP bytes into (escape sequence, bytes) runs."""
    pieces = re.split(rb"(\x1b(?:\$[@B]|\([BJI]))", data)
    runs = [(b"\x1b(B", pieces[0])]
    runs += list(zip(pieces[1::2], pieces[2::2], strict=False))
    return runs


def _jis_to_sjis(first: int, second: int) -> bytes:
    """Shift one JIS X 0208 code (two 7-bit bytes) to its Shift_JIS bytes."""
    if not (0x21 <= first <= 0x7E and 0x21 <= second <= 0x7E):
        return b"?"
    lead = (first + 1) // 2 + (0x70 if first <= 0x5E else 0xB0)
    shift = (0x1F if second <= 0x5F else 0x20) if first % 2 else 0x7E
    return bytes((lead, second + shift))


def _meta_charset(data: bytes) -> str | None:
    """Return the charset an HTML document declares in a meta tag, if any."""
    found = _META_CHARSET.search(data[:4096])
    return found.group(1).decode("ascii", errors="replace") if found else None
