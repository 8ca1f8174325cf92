"""Charset decoding: labels, aliases, lenient UTF-8 and Windows ISO-2022-JP."""

from __future__ import annotations

import pytest

from mailroom.charsets import (
    decode_bytes,
    decode_iso2022jp_windows,
    decode_utf8_lenient,
    resolve_charset,
)


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("UTF-8", "utf-8"),
        ('"iso-8859-1"', "cp1252"),
        ("ks_c_5601-1987", "cp949"),
        ("x-mac-cyrillic", "mac-cyrillic"),
        ("unicode-1-1-utf-7", "utf-7"),
        ("base64", None),
        ("unicode_escape", None),
        ("no-such-charset", None),
        ("", None),
    ],
)
def test_charset_labels_resolve_to_text_codecs(label: str, codec: str | None) -> None:
    """Mail charset labels map to Python codecs; non-text codecs are refused."""
    assert resolve_charset(label) == codec


def test_invalid_utf8_bytes_read_as_windows_1252() -> None:
    """Bytes that are not UTF-8 read as Windows-1252, never as U+FFFD."""
    assert decode_utf8_lenient(b"ok \xe2\x82\xac, \x93quoted\x94") == "ok €, “quoted”"


def test_many_invalid_bytes_are_read_in_one_pass() -> None:
    """Every bad byte among many is read as Windows-1252, unassigned ones as Latin-1."""
    data = ("é".encode() + b"\x93\x81") * 100_000
    assert decode_utf8_lenient(data) == "é\u201c\x81" * 100_000


def test_declared_charset_wins_over_detection() -> None:
    """A declared charset is used as stated."""
    assert decode_bytes("Żółw".encode("iso-8859-2"), "iso-8859-2") == "Żółw"


def test_iso_2022_jp_with_windows_symbols_decodes() -> None:
    """ISO-2022-JP carrying NEC symbols (①, №) decodes like Windows does."""
    data = b"\x1b$B-!\x1b(B 1 \x1b$B-b\x1b(B"
    assert decode_iso2022jp_windows(data) == "① 1 №"
    assert decode_bytes(data, "iso-2022-jp") == "① 1 №"
