"""Outlook .msg files read as related items, built with an OLE writer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import compressed_rtf

from mailroom.models import Address
from mailroom.outlook_msg import OLE_MAGIC, read_outlook_msg, related_item_from_msg
from mailroom.rtf import MAX_RTF_BYTES
from tests.domain.attachment_samples import forged_rtf, outlook_msg

SAMPLE = outlook_msg(
    subject="Forklift 3 battery fault",
    sender="Mirela Kovač",
    address="mirela.kovac@example.org",
    body="The charger shows F07 again.\r\nPhoto attached.\r\n",
    files={"charger.jpg": b"\xff\xd8\xff\xe0 jpeg", "fault-log.txt": b"F07 12:01"},
)


@dataclass
class _File:
    """A duck-typed .msg attachment."""

    name: str | None


@dataclass
class _Msg:
    """A duck-typed opened .msg, as extract-msg would give it."""

    subject: str | None = None
    sender: str | None = None
    body: str | None = None
    htmlBody: bytes | None = None  # extract-msg's camelCase name
    attachments: Sequence[_File] = field(default_factory=list)


def test_msg_becomes_a_related_item() -> None:
    """Subject, sender, body text and attachment names are read."""
    item = read_outlook_msg(SAMPLE, "Forklift 3 battery fault.msg")
    assert item is not None
    assert item.source_filename == "Forklift 3 battery fault.msg"
    assert item.subject == "Forklift 3 battery fault"
    assert item.sender == Address(email="mirela.kovac@example.org", name="Mirela Kovač")
    assert item.text == "The charger shows F07 again.\nPhoto attached.\n"
    assert item.attachment_names == ["charger.jpg", "fault-log.txt"]


def test_bytes_that_are_not_ole_are_unreadable() -> None:
    """A .msg that is no OLE file gives None without opening it."""
    assert read_outlook_msg(b"From: x@example.com\r\n\r\nplain", "a.msg") is None


def test_broken_ole_file_is_unreadable() -> None:
    """An OLE header followed by junk gives None, not an exception."""
    assert read_outlook_msg(OLE_MAGIC + bytes(600), "broken.msg") is None


def test_truncated_msg_is_unreadable() -> None:
    """A .msg cut in half gives None."""
    assert read_outlook_msg(SAMPLE[: len(SAMPLE) // 2], "half.msg") is None


def test_html_body_is_used_when_there_is_no_plain_body() -> None:
    """Without a plain body, the HTML body is rendered as text."""
    message = _Msg(subject="Hi", htmlBody=b"<p>Door <i>B</i> sticks</p>")
    assert related_item_from_msg(message, "hi.msg").text == "Door B sticks"


def test_sender_without_an_address_gives_no_sender() -> None:
    """A bare display name is no address: the sender stays unknown."""
    message = _Msg(sender="Front Desk", body="Hello")
    assert related_item_from_msg(message, "desk.msg").sender is None


def test_attachment_names_are_made_safe() -> None:
    """Names inside the .msg go through the safe-name rule; blanks get one."""
    files = [_File("..\\..\\boot.ini"), _File(None), _File("scan.pdf")]
    item = related_item_from_msg(_Msg(attachments=files), "x.msg")
    assert item.attachment_names == ["boot.ini", "attachment-2.bin", "scan.pdf"]


def test_rtf_only_body_is_read_as_text() -> None:
    """A .msg that stores only an RTF body gives that body's text."""
    rtf = compressed_rtf.compress(rb"{\rtf1\ansi Dock door 3 is stuck.\par }")
    data = outlook_msg("Dock door", "Ann", "ann@example.com", None, {}, rtf=rtf)
    item = read_outlook_msg(data, "Dock door.msg")
    assert item is not None and item.text == "Dock door 3 is stuck."


def test_rtf_body_that_unpacks_too_large_makes_the_msg_unreadable() -> None:
    """An RTF-only body past the limit is not unpacked; the .msg gives None."""
    rtf = forged_rtf(MAX_RTF_BYTES // 17 + 1)
    data = outlook_msg("Dock door", "Ann", "ann@example.com", None, {}, rtf=rtf)
    assert read_outlook_msg(data, "Dock door.msg") is None
