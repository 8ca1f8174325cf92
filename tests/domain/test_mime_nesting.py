"""Deeply nested MIME: read to a bounded depth, headers and text kept."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from mailroom.mime import parse_mail
from mailroom.mime_nesting import MAX_NESTING, NESTED_TOO_DEEP
from mailroom.models import Address
from tests.domain.nesting_samples import HEAD, SHALLOW, deep_mail, nested


def test_mail_nested_2000_deep_keeps_its_headers() -> None:
    """Sender, subject, ids, date and recipients survive 2,000 levels."""
    mail = parse_mail(deep_mail(2000)).mail

    assert mail.sender == Address(
        email="aino.virtanen@example.com", name="Aino Virtanen"
    )
    assert mail.subject == "Printer on floor 3 offline"
    assert mail.message_id == "<deep-1@mail.example.com>"
    assert mail.in_reply_to == ["<first@mail.example.com>"]
    assert mail.to == [Address(email="helpdesk@example.org")]
    assert mail.date == datetime(2024, 6, 3, 10, tzinfo=UTC)
    assert mail.defects == [NESTED_TOO_DEEP]


def test_text_of_the_shallow_parts_is_kept() -> None:
    """The text above the cut is the body; the text below it is not."""
    mail = parse_mail(deep_mail(2000)).mail

    assert mail.text_body.strip() == "The printer does not answer."
    assert "Text at the bottom." not in mail.text_body


def test_the_part_at_the_cut_is_kept_as_one_file() -> None:
    """The part holding the deepest levels is attached unread, body whole."""
    parsed = parse_mail(deep_mail(2000))

    (file,) = parsed.files
    assert file.meta.content_type == "application/octet-stream"
    assert file.data.startswith(b"--b63\r\nContent-Type: multipart/mixed;")
    assert file.data.count(b"Text at the bottom.") == 1


def test_parts_down_to_the_limit_are_read_as_usual() -> None:
    """A mail nested exactly as deep as allowed loses nothing."""
    mail = parse_mail((HEAD + nested(MAX_NESTING)).encode()).mail

    assert mail.text_body.strip() == "Text at the bottom."
    assert mail.defects == []


def test_attached_mails_nested_in_each_other_are_cut_too() -> None:
    """message/rfc822 directly inside message/rfc822, 2,000 times."""
    inner = "Content-Type: message/rfc822\r\n\r\n" * 2000 + "Subject: x\r\n\r\nx\r\n"
    mail = parse_mail((HEAD + inner).encode()).mail

    assert mail.subject == "Printer on floor 3 offline"
    assert mail.message_id == "<deep-1@mail.example.com>"
    assert mail.defects == [NESTED_TOO_DEEP]


def _forwards(count: int) -> bytes:
    """Return a mail that forwards a mail that forwards ... `count` times."""
    raw = b"Subject: level 0\r\n\r\nbottom\r\n"
    for level in range(1, count + 1):
        head = f"Subject: level {level}\r\n"
        head += f"Content-Type: multipart/mixed; boundary=n{level}\r\n\r\n"
        part = f"--n{level}\r\nContent-Type: message/rfc822\r\n\r\n".encode()
        raw = head.encode() + part + raw + f"\r\n--n{level}--\r\n".encode()
    return raw


def test_an_attached_mail_cut_inside_is_kept_as_it_arrived() -> None:
    """40 forwards pass the cut; the attached .eml keeps every byte."""
    parsed = parse_mail(_forwards(40))

    (file,) = parsed.files
    assert file.meta.filename == "level 39.eml"
    assert file.data == _forwards(39)
    assert [item.subject for item in parsed.mail.related] == ["level 39"]


def test_returned_headers_over_a_deep_body_still_name_the_mail() -> None:
    """A bounce's returned headers are read, never the body behind them."""
    returned = "Message-ID: <sent-7@mail.example.org>\r\n" + nested(2000)
    data = base64.encodebytes(returned.encode()).decode()
    report = (
        "Content-Type: multipart/report; report-type=delivery-status; "
        "boundary=r\r\n\r\n--r\r\n" + SHALLOW + "--r\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + data + "--r--\r\n"
    )
    mail = parse_mail((HEAD + report).encode()).mail

    assert mail.returned_message_ids == ["<sent-7@mail.example.org>"]
    assert mail.report_type == "delivery-status"
    assert mail.defects == []
