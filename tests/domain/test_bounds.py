"""Bounds on Subject, summary and References that Mailroom writes out."""

from __future__ import annotations

import pytest

from mailroom.bounds import (
    MESSAGE_ID_LIMIT,
    NAME_LIMIT,
    bounded_name,
    reply_subject,
    reply_threading,
    shorten,
)
from mailroom.models import Address
from tests.domain.mailfactory import make_mail


def test_a_short_text_only_has_its_whitespace_collapsed() -> None:
    """Text within the limit comes back whole, on one line."""
    assert (
        shorten("Printer\r\n  on floor 3\toffline", 30) == "Printer on floor 3 offline"
    )


def test_a_long_text_is_cut_after_its_last_whole_word() -> None:
    """The cut falls on a space and ends with an ellipsis inside the limit."""
    assert shorten("Printer on floor three offline", 20) == "Printer on floor\u2026"


def test_a_text_exactly_at_the_limit_is_kept_whole() -> None:
    """Twenty characters fit a limit of twenty, without an ellipsis."""
    assert shorten("Printer on floor 3 x", 20) == "Printer on floor 3 x"


def test_a_word_ending_at_the_cut_is_kept_whole() -> None:
    """A space right after the cut keeps the word before it."""
    assert shorten("Printer on floor3 offline", 18) == "Printer on floor3\u2026"


def test_one_long_word_is_cut_inside_itself() -> None:
    """A cut that would keep less than half of the limit cuts the word."""
    assert shorten("See https://example.com/" + "a" * 40, 20) == (
        "See https://example\u2026"
    )


def test_a_limit_below_two_is_refused() -> None:
    """An ellipsis alone is no summary; such a limit is a programming error."""
    with pytest.raises(ValueError, match="2 characters or more"):
        shorten("Printer", 1)


def test_a_subject_of_260_kb_becomes_300_characters() -> None:
    """A huge Subject goes out as whole words within SUBJECT_LIMIT."""
    subject = reply_subject("RE: [HELP-1] " + "disk full " * 26_000)

    assert len(subject) == 298
    assert subject.startswith("RE: [HELP-1] disk full disk")
    assert subject.endswith(" full disk\u2026")


def test_references_keep_the_first_id_and_the_newest_twenty() -> None:
    """50,000 ids become 21: the root, the 19 newest, and the mail's own."""
    ids = [f"<r{n}@mail.example.com>" for n in range(50_000)]
    mail = make_mail(message_id="<m1@mail.example.com>", references=ids)

    in_reply_to, references = reply_threading(mail)

    assert in_reply_to == "<m1@mail.example.com>"
    assert references == [ids[0], *ids[-19:], "<m1@mail.example.com>"]


def test_a_thread_within_the_bound_is_kept_whole() -> None:
    """A short thread keeps every id, then the mail's own."""
    mail = make_mail(message_id="<m2@x.example>", references=["<m0@x.example>"])

    assert reply_threading(mail) == (
        "<m2@x.example>",
        ["<m0@x.example>", "<m2@x.example>"],
    )


def test_an_id_longer_than_the_bound_is_not_copied() -> None:
    """An oversized Message-ID is left out of In-Reply-To and References."""
    huge = "<" + "x" * MESSAGE_ID_LIMIT + "@example.com>"
    mail = make_mail(message_id=huge, references=["<m0@x.example>", huge])

    assert reply_threading(mail) == (None, ["<m0@x.example>"])


def test_a_long_display_name_is_cut() -> None:
    """A display name over NAME_LIMIT is shortened; the address stays."""
    address = Address(email="ivy@example.com", name="Ivy " * 10_000)

    bounded = bounded_name(address)

    assert bounded.email == "ivy@example.com"
    assert len(bounded.name) <= NAME_LIMIT and bounded.name.endswith("Ivy\u2026")
