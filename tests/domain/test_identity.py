"""Dedupe keys: one mail, one key, however often or however it arrives."""

from __future__ import annotations

import re

from mailroom.identity import dedupe_key
from mailroom.mime import parse_mail

BODY = b"From: a@example.com\r\nSubject: Laptop\r\n\r\nNeeds a laptop.\r\n"
WITH_ID = b"Message-ID: <x1@mail.example.com>\r\n" + BODY


def _key(raw: bytes, mailbox: str = "help@example.org", item: str | None = None) -> str:
    """Parse `raw` and return its dedupe key in `mailbox`."""
    return dedupe_key(mailbox, parse_mail(raw).mail, item, raw)


def test_key_has_the_documented_shape() -> None:
    """A key is `m-` and 32 lowercase hex digits."""
    assert re.fullmatch(r"m-[0-9a-f]{32}", _key(WITH_ID))


def test_same_message_id_gives_the_same_key_whatever_the_bytes() -> None:
    """Two copies with one Message-ID share a key, even if they differ."""
    other = WITH_ID.replace(b"Needs a laptop.", b"Needs a laptop!")
    assert _key(WITH_ID) == _key(other)


def test_mailbox_is_part_of_the_key_case_insensitively() -> None:
    """The same mail in two mailboxes has two keys; case does not matter."""
    assert _key(WITH_ID, "Help@Example.org") == _key(WITH_ID, "help@example.org")
    assert _key(WITH_ID, "help@example.org") != _key(WITH_ID, "sales@example.org")


def test_without_message_id_trace_headers_do_not_change_the_key() -> None:
    """Received, Return-Path and X- headers added in transit are ignored."""
    first = b"Received: from mx1.example.org; Thu, 3 Dec 2026 06:45:02 +0000\r\n"
    second = (
        b"Received: from mx2.example.org; Thu, 3 Dec 2026 06:45:09 +0000\r\n"
        b"Return-Path: <a@example.com>\r\nX-Spam-Score: 0.1\r\n"
    )
    assert _key(first + BODY) == _key(second + BODY.replace(b"\r\n", b"\n"))


def test_without_message_id_different_content_gives_different_keys() -> None:
    """Two different mails without Message-ID do not collide."""
    assert _key(BODY) != _key(BODY.replace(b"laptop.", b"monitor."))


def test_without_message_id_the_item_id_does_not_matter() -> None:
    """The same content fetched under two item ids keeps one key."""
    assert _key(BODY, item="AAMk-1") == _key(BODY, item="AAMk-2")


def test_empty_mail_falls_back_to_the_item_id() -> None:
    """A mail with no bytes at all is keyed by its mailbox item."""
    assert _key(b"", item="AAMk-1") != _key(b"", item="AAMk-2")
