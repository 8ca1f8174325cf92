"""winmail.dat (TNEF): files and bodies unpacked from hand-built streams."""

from __future__ import annotations

import compressed_rtf

from mailroom.rtf import rtf_text
from mailroom.tnef import read_tnef
from tests.domain.attachment_samples import (
    PR_BODY_HTML,
    PR_RTF_COMPRESSED,
    PT_BINARY,
    mapi_block,
    mapi_property,
    tnef_stream,
)

RTF = (
    rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Calibri;}}"
    rb"\f0\fs22 The scanner in room 4.12 shows \b E-204\b0 .\par "
    rb"Gr\'fc\'dfe, Jonas\par }"
)


def test_file_and_body_are_unpacked() -> None:
    """The attached file keeps its long name and bytes; the body is text."""
    stream = tnef_stream(
        body="Grüße aus dem Lager\r\n".encode("cp1252"),
        files=[("Prüfprotokoll März.pdf", b"%PDF-1.4 sample")],
    )
    content = read_tnef(stream)
    assert content is not None
    assert [(f.name, f.data) for f in content.files] == [
        ("Prüfprotokoll März.pdf", b"%PDF-1.4 sample")
    ]
    assert content.body == "Grüße aus dem Lager\n"


def test_several_files_keep_their_order() -> None:
    """Every attached file is unpacked, in the order of the stream."""
    files = [("a.txt", b"first"), ("b.csv", b"x;y"), ("c.png", b"\x89PNG")]
    content = read_tnef(tnef_stream(files=files))
    assert content is not None
    assert [(f.name, f.data) for f in content.files] == files


def test_html_body_becomes_readable_text() -> None:
    """An HTML body (PR_BODY_HTML) is rendered as plain text."""
    html = b"<p>Badge reader at <b>gate 2</b> is offline.</p>"
    mapi = mapi_block(mapi_property(PT_BINARY, PR_BODY_HTML, html))
    content = read_tnef(tnef_stream(mapi=mapi))
    assert content is not None and content.body == "Badge reader at gate 2 is offline."


def test_compressed_rtf_body_becomes_plain_text() -> None:
    """An RTF-only body is decompressed and stripped of control words."""
    packed = compressed_rtf.compress(RTF)
    mapi = mapi_block(mapi_property(PT_BINARY, PR_RTF_COMPRESSED, packed))
    content = read_tnef(tnef_stream(mapi=mapi))
    assert content is not None
    assert content.body == "The scanner in room 4.12 shows E-204.\nGrüße, Jonas"


def test_rtf_text_drops_font_tables_and_controls() -> None:
    """RTF markup is dropped; escaped Windows-1252 characters are decoded."""
    assert (
        rtf_text(RTF + b"\0") == "The scanner in room 4.12 shows E-204.\nGrüße, Jonas"
    )


def test_bytes_without_the_tnef_signature_are_unreadable() -> None:
    """Anything that is not TNEF gives None, not an exception."""
    assert read_tnef(b"PK\x03\x04 a zip file, not TNEF") is None


def test_stream_with_neither_file_nor_body_counts_as_unreadable() -> None:
    """An empty stream gives None, so the caller keeps the original."""
    assert read_tnef(tnef_stream()) is None


def test_truncated_stream_does_not_raise() -> None:
    """A stream cut anywhere gives None or what was whole, never an error."""
    stream = tnef_stream(body=b"Hello", files=[("log.txt", b"line 1\n" * 40)])
    results = [read_tnef(stream[:cut]) for cut in range(0, len(stream), 7)]
    assert results[0] is None
    assert results[-1] is not None and results[-1].body == "Hello"
