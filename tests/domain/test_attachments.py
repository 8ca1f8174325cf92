"""Size limits and repeated files: what of a mail's files reaches a ticket."""

from __future__ import annotations

import hashlib

from mailroom.attachments import apply_limits, dedupe_files
from mailroom.config import AttachmentConfig, Config
from mailroom.models import (
    Attachment,
    AttachmentData,
    NormalizedMail,
    OversizedFile,
    ParsedMail,
)

LIMITS = AttachmentConfig(max_bytes=100, max_total_bytes=150)
# The least a configuration must hold: a mailbox, a tool and a route to it.
MINIMAL = {
    "mailboxes": [{"address": "helpdesk@example.org"}],
    "trackers": {"local": {"kind": "local"}},
    "routes": [{"name": "all", "tools": ["local"]}],
}


def _file(name: str, size: int, fill: bytes = b"x") -> AttachmentData:
    """Return a file of `size` bytes named `name`."""
    data = (fill * size)[:size]
    meta = Attachment(
        filename=name,
        content_type="application/octet-stream",
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return AttachmentData(meta=meta, data=data)


def _parsed(*files: AttachmentData) -> ParsedMail:
    """Return a parsed mail that carries `files`."""
    mail = NormalizedMail(attachments=[item.meta for item in files])
    return ParsedMail(mail=mail, files=list(files))


def test_defaults_are_25_and_50_mebibytes() -> None:
    """A configuration without an attachments section gets the default limits."""
    config = Config.model_validate(MINIMAL)
    assert (config.attachments.max_bytes, config.attachments.max_total_bytes) == (
        25 * 1024 * 1024,
        50 * 1024 * 1024,
    )


def test_files_within_the_limits_are_untouched() -> None:
    """Nothing over a limit: the parsed mail comes back as it was."""
    parsed = _parsed(_file("a.pdf", 60), _file("b.pdf", 90))
    assert apply_limits(parsed, LIMITS) == parsed


def test_a_file_over_the_single_limit_is_recorded_not_kept() -> None:
    """A file larger than max_bytes leaves files and attachments, into oversized."""
    result = apply_limits(_parsed(_file("scan.tif", 101), _file("a.txt", 5)), LIMITS)
    assert [item.meta.filename for item in result.files] == ["a.txt"]
    assert [meta.filename for meta in result.mail.attachments] == ["a.txt"]
    assert result.mail.oversized == [
        OversizedFile(filename="scan.tif", size=101, limit=100, passed="file")
    ]


def test_files_past_the_total_limit_are_recorded_in_order() -> None:
    """Once the total would pass max_total_bytes, later files are left off."""
    files = [_file("1.bin", 80), _file("2.bin", 80), _file("3.bin", 70)]
    result = apply_limits(_parsed(*files), LIMITS)
    assert [meta.filename for meta in result.mail.attachments] == ["1.bin", "3.bin"]
    assert result.mail.oversized == [
        OversizedFile(filename="2.bin", size=80, limit=150, passed="total", total=160)
    ]


def test_each_file_left_off_names_the_limit_it_passed() -> None:
    """27, 20, 20 and 15 units: the first is too large, the last too many."""
    files = [_file("a", 27), _file("b", 20), _file("c", 20), _file("d", 15)]
    limits = AttachmentConfig(max_bytes=25, max_total_bytes=50)
    result = apply_limits(_parsed(*files), limits)
    assert result.mail.oversized == [
        OversizedFile(filename="a", size=27, limit=25, passed="file"),
        OversizedFile(filename="d", size=15, limit=50, passed="total", total=55),
    ]


def test_a_file_the_spool_left_off_gets_the_limit_its_size_passed() -> None:
    """Spooled files carry no bytes; their size and the total tell the limit."""
    big = _file("big.iso", 120).model_copy(update={"left_off": 100})
    late = _file("late.bin", 90).model_copy(update={"left_off": 150})
    result = apply_limits(_parsed(_file("a.bin", 70), big, late), LIMITS)
    assert [(f.filename, f.passed, f.total) for f in result.mail.oversized] == [
        ("big.iso", "file", None),
        ("late.bin", "total", 160),
    ]


def _meta(name: str, content: bytes) -> Attachment:
    """Return an attachment description of `content`."""
    digest = hashlib.sha256(content).hexdigest()
    return Attachment(
        filename=name, content_type="image/png", size=len(content), sha256=digest
    )


def test_files_already_on_the_ticket_are_left_out() -> None:
    """A logo whose hash the ticket already has is not attached again."""
    logo, photo = _meta("image001.png", b"logo"), _meta("crack.png", b"photo")
    assert dedupe_files([logo, photo], {logo.sha256}) == [photo]


def test_repeated_content_in_one_mail_is_attached_once() -> None:
    """The same bytes under two names reach the ticket once, first name kept."""
    first, again = _meta("logo.png", b"logo"), _meta("image002.png", b"logo")
    assert dedupe_files([first, again], set()) == [first]
