"""The skeleton of a large mail: all of it but the files past a limit."""

from __future__ import annotations

import hashlib
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom.attachments import apply_limits
from mailroom.config import AttachmentConfig
from mailroom.mime import parse_mail
from mailroom.mime_spool import LEFT_OFF_HEADER, MimeSpool
from mailroom.models import ParsedMail
from tests.cases import corpus_dir

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "mailbox"
TOKEN = "0a1b2c3d4e5f6071"
UNLIMITED = 10**12


def spool(raw: bytes, max_bytes: int, total: int, chunk: int = 4096) -> bytes:
    """Feed `raw` in chunks and return the skeleton."""
    spooler = MimeSpool(TOKEN, max_bytes, total)
    for start in range(0, len(raw), chunk):
        spooler.feed(raw[start : start + chunk])
    return spooler.finish()


def limited(raw: bytes, token: str | None, max_bytes: int, total: int) -> ParsedMail:
    """Parse and apply the attachment limits, as ingest does."""
    config = AttachmentConfig(max_bytes=max_bytes, max_total_bytes=total)
    return apply_limits(parse_mail(raw, token), config)


def support_mail(*files: tuple[str, bytes, str]) -> bytes:
    """Return a mail with a text body and the given (name, data, type) files."""
    message = EmailMessage()
    message["From"] = "Nora Quill <nora@example.com>"
    message["To"] = "helpdesk@example.org"
    message["Subject"] = "Export fails with large files"
    message["Message-ID"] = "<big-1@example.com>"
    message.set_content("The nightly export stopped again.\nLogs attached.\n")
    message.add_alternative("<p>The nightly export stopped <b>again</b>.</p>", "html")
    for name, data, kind in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def test_a_mail_within_the_limits_comes_back_byte_for_byte() -> None:
    """Nothing left off: the skeleton is the mail as it arrived."""
    raw = support_mail(("log.txt", b"line\n" * 400, "application/octet-stream"))

    assert spool(raw, UNLIMITED, UNLIMITED, chunk=7) == raw


def test_every_sample_mail_comes_back_byte_for_byte() -> None:
    """The sample mailbox, fed in odd chunk sizes, passes through unchanged."""
    for path in sorted(SAMPLES.glob("*.eml")):
        raw = path.read_bytes()
        for chunk in (1, 61, 65536):
            assert spool(raw, UNLIMITED, UNLIMITED, chunk) == raw, path.name


def test_every_corpus_mail_comes_back_byte_for_byte() -> None:
    """Real-world mail, broken MIME included, passes through unchanged."""
    paths = sorted(corpus_dir().rglob("*.eml"))
    assert len(paths) > 100
    for path in paths:
        raw = path.read_bytes()
        assert spool(raw, UNLIMITED, UNLIMITED, 997) == raw, path.name


def test_a_file_past_the_limit_loses_its_body_and_keeps_its_measure() -> None:
    """The large file's size and hash are those of its decoded bytes."""
    big = bytes(range(256)) * 200
    raw = support_mail(
        ("trace.bin", big, "application/octet-stream"),
        ("small.txt", b"fits\n", "text/plain"),
    )

    skeleton = spool(raw, 10_000, UNLIMITED)
    parsed = limited(skeleton, TOKEN, 10_000, UNLIMITED)

    assert len(skeleton) < len(raw) - 60_000
    assert skeleton.count(LEFT_OFF_HEADER.encode()) == 1
    assert [(f.filename, f.size, f.limit) for f in parsed.mail.oversized] == [
        ("trace.bin", 51_200, 10_000)
    ]
    assert [f.data for f in parsed.files] == [b"fits\n"]
    assert "nightly export stopped again" in parsed.mail.text_body


def test_the_skeleton_reads_as_the_whole_mail_would() -> None:
    """Bodies, kept files and left-off files match a parse of the whole."""
    raw = support_mail(
        ("a.pdf", b"%PDF" + b"\x00\x01" * 9000, "application/pdf"),
        ("b.csv", b"id;amount\n" * 300, "text/csv"),
        ("c.png", b"\x89PNG" + b"\xff" * 20_000, "image/png"),
    )

    whole = limited(raw, None, 15_000, 25_000)
    part = limited(spool(raw, 15_000, 25_000), TOKEN, 15_000, 25_000)

    assert part.mail.oversized == whole.mail.oversized
    assert [f.meta for f in part.files] == [f.meta for f in whole.files]
    assert [f.data for f in part.files] == [f.data for f in whole.files]
    assert part.mail.text_body == whole.mail.text_body
    assert part.mail.html_body == whole.mail.html_body


def test_the_total_limit_leaves_off_the_file_that_passes_it() -> None:
    """Files are taken in mail order; the one past the total is left off."""
    raw = support_mail(
        ("one.bin", b"1" * 6000, "application/octet-stream"),
        ("two.bin", b"2" * 6000, "application/octet-stream"),
        ("three.bin", b"3" * 3000, "application/octet-stream"),
    )

    parsed = limited(spool(raw, 8000, 10_000), TOKEN, 8000, 10_000)

    assert [f.meta.filename for f in parsed.files] == ["one.bin", "three.bin"]
    assert [(f.filename, f.limit) for f in parsed.mail.oversized] == [
        ("two.bin", 10_000)
    ]


def test_quoted_printable_and_plain_files_are_measured_exactly() -> None:
    """Sizes and hashes match the stdlib's decoding for every encoding."""
    text = ("Zeile mit Umlaut äöü und = Zeichen\r\n" * 500).encode("latin-1")
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message["Subject"] = "Encodings"
    message.set_content("See the files.")
    message.add_attachment(
        text, "text", "plain", filename="qp.txt", cte="quoted-printable"
    )
    message.add_attachment(
        b"plain line\n" * 900, "text", "plain", filename="7bit.txt", cte="7bit"
    )
    raw = message.as_bytes()

    parsed = parse_mail(spool(raw, 1000, UNLIMITED), TOKEN)
    whole = parse_mail(raw)

    assert [(a.size, a.sha256) for a in parsed.mail.attachments] == [
        (a.size, a.sha256) for a in whole.mail.attachments
    ]
    assert all(f.left_off == 1000 for f in parsed.files)


def test_an_attached_mail_past_the_limit_keeps_its_headers() -> None:
    """A left-off .eml is still named after its subject."""
    inner = support_mail(("inner.bin", b"\x00" * 30_000, "application/octet-stream"))
    message = EmailMessage()
    message["From"] = "ann@example.com"
    message["Subject"] = "Fwd: the failing export"
    message.set_content("Forwarding the original.")
    message.add_attachment(message_from_bytes(inner, policy=policy.default))
    raw = message.as_bytes()

    parsed = limited(spool(raw, 5000, UNLIMITED), TOKEN, 5000, UNLIMITED)

    [oversized] = parsed.mail.oversized
    assert oversized.filename == "Export fails with large files.eml"
    assert abs(oversized.size - len(inner)) <= 2
    assert parsed.files == []


def test_a_mark_without_our_token_is_an_ordinary_header() -> None:
    """A sender cannot make Mailroom drop a file by writing the header."""
    raw = support_mail(("note.txt", b"keep me\n", "text/plain")).replace(
        b"Content-Disposition: attachment",
        f"{LEFT_OFF_HEADER}: {'f' * 16}; size=1; sha256={'0' * 64}; limit=1\n"
        "Content-Disposition: attachment".encode(),
    )

    for token in (None, TOKEN):
        parsed = parse_mail(raw, token)
        assert [f.data for f in parsed.files] == [b"keep me\n"]
        assert parsed.files[0].left_off is None


def test_a_file_with_no_line_breaks_is_measured_without_holding_it() -> None:
    """A binary part of one long line is counted in pieces."""
    data = b"\x01" * 300_000
    head = (
        b"From: ann@example.com\r\nSubject: dump\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        b"Content-Type: text/plain\r\n\r\nA dump.\r\n--b1\r\n"
        b"Content-Type: application/octet-stream; name=dump.bin\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\n"
    )
    raw = head + data + b"\r\n--b1--\r\n"

    parsed = parse_mail(spool(raw, 100_000, UNLIMITED, chunk=65536), TOKEN)

    [left] = parsed.files
    assert left.meta.size == len(data)
    assert left.meta.sha256 == hashlib.sha256(data).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 6000), min_size=1, max_size=5),
    max_bytes=st.integers(1, 7000),
    total=st.integers(1, 20_000),
    chunk=st.integers(1, 5000),
)
def test_any_mail_reads_the_same_whole_or_as_a_skeleton(
    sizes: list[int], max_bytes: int, total: int, chunk: int
) -> None:
    """Whatever the limits and chunking, the outcome equals the whole parse."""
    files = [
        (f"file{n}.bin", bytes([n]) * size, "application/octet-stream")
        for n, size in enumerate(sizes)
    ]
    raw = support_mail(*files)

    whole = limited(raw, None, max_bytes, total)
    part = limited(spool(raw, max_bytes, total, chunk), TOKEN, max_bytes, total)

    assert part.mail.oversized == whole.mail.oversized
    assert [f.meta for f in part.files] == [f.meta for f in whole.files]
    assert part.mail.text_body == whole.mail.text_body


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_headers_split_across_chunks_still_open_the_multipart(chunk: int) -> None:
    """A boundary parameter split between two chunks is still found."""
    raw = support_mail(("x.bin", b"x" * 5000, "application/octet-stream"))

    parsed = parse_mail(spool(raw, 1000, UNLIMITED, chunk), TOKEN)

    assert [f.left_off for f in parsed.files] == [1000]


def _nested(depth: int, inner: str) -> bytes:
    """Nest `depth` multiparts, boundary `b<n>` at level n, around `inner`."""
    head = f'Content-Type: multipart/mixed; boundary="b{depth}"\r\n\r\n'
    for level in range(depth, 0, -1):
        opening = (
            f'--b{level}\r\nContent-Type: multipart/mixed; boundary="b{level - 1}"'
        )
        head += opening + "\r\n\r\n"
    return ("From: nora@example.com\r\n" + head + inner).encode()


def test_a_part_of_the_outermost_of_deep_multiparts_closes_those_inside() -> None:
    """A new part of the outermost of 2,000 nested multiparts is its file."""
    file = "Content-Type: application/pdf\r\n\r\n" + "%PDF page\r\n" * 20
    inner = "--b0\r\n\r\nhi\r\n--b2000\r\n" + file + "--b2000--\r\n"

    skeleton = spool(_nested(2000, inner), max_bytes=100, total=UNLIMITED)

    assert skeleton.count(LEFT_OFF_HEADER.encode()) == 1
    assert skeleton.endswith(b"limit=100\r\n\r\n--b2000--\r\n")


def test_a_boundary_reused_inside_closes_the_innermost_first() -> None:
    """Two open multiparts share a boundary: `--b--` ends the inner one."""
    inner = 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nin\r\n'
    raw = (
        'From: nora@example.com\r\nContent-Type: multipart/mixed; boundary="b"\r\n'
        f"\r\n--b\r\n{inner}--b--\r\n--b\r\nContent-Type: image/png\r\n\r\n"
        + "png data\r\n" * 20
        + "--b--\r\n"
    ).encode()

    skeleton = spool(raw, max_bytes=100, total=UNLIMITED)

    assert skeleton.count(LEFT_OFF_HEADER.encode()) == 1
    assert skeleton.endswith(b"limit=100\r\n\r\n--b--\r\n")


def test_a_header_line_fed_in_small_chunks_comes_back_whole() -> None:
    """A 300 kB header without a break, fed 64 bytes at a time, is kept as is."""
    raw = b"From: nora@example.com\r\nX-Trace: " + b"a" * 300_000 + b"\r\n\r\nHi.\r\n"

    assert spool(raw, UNLIMITED, UNLIMITED, chunk=64) == raw
