"""Bytes that are not a mail get a reason, never a ticket."""

from __future__ import annotations

import os

import pytest

from mailroom.mailcheck import unreadable_reason
from mailroom.mime import parse_mail


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "the message is empty"),
        (b"\r\n \r\n", "the message is empty"),
        (os.urandom(0) + bytes(range(256)) * 8, "no mail headers"),
    ],
)
def test_empty_and_binary_input_is_not_a_mail(raw: bytes, reason: str) -> None:
    """Empty files and binary junk are recognised as not being mail."""
    found = unreadable_reason(parse_mail(raw).mail, raw)
    assert found is not None and found.startswith(reason)


def test_a_bare_device_alert_is_still_a_mail() -> None:
    """A mail with only From and Subject (case 13's alert) is readable."""
    raw = b"From: ups-01@example.com\nSubject: UPS on battery\n\nOn battery.\n"
    assert unreadable_reason(parse_mail(raw).mail, raw) is None
