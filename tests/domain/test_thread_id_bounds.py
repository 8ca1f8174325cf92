"""A References header of thousands of ids keeps its root and its newest."""

from __future__ import annotations

from mailroom.mime import parse_mail
from mailroom.mime_headers import MAX_THREAD_IDS


def _mail(references: int, in_reply_to: int = 1) -> bytes:
    """Return a reply whose threading headers name this many ids."""
    ids = [f"<r{n}@mail.example.com>" for n in range(references)]
    answered = [f"<a{n}@mail.example.com>" for n in range(in_reply_to)]
    return (
        "From: Nora Lindqvist <nora.lindqvist@example.com>\r\n"
        "To: helpdesk@example.org\r\nSubject: Re: Gate 2 badges\r\n"
        "Message-ID: <reply@mail.example.com>\r\n"
        f"In-Reply-To: {' '.join(answered)}\r\n"
        f"References: {' '.join(ids)}\r\n\r\nStill broken.\r\n"
    ).encode()


def test_a_long_references_keeps_the_root_and_the_newest() -> None:
    """50,000 ids: the first and the last 99 remain, and a defect says so."""
    mail = parse_mail(_mail(50_000)).mail
    assert len(mail.references) == MAX_THREAD_IDS == 100
    assert mail.references[0] == "<r0@mail.example.com>"
    assert mail.references[1] == "<r49901@mail.example.com>"
    assert mail.references[-1] == "<r49999@mail.example.com>"
    assert mail.in_reply_to == ["<a0@mail.example.com>"]
    assert (
        "References named 50000 message ids; the first and the last 99 are kept."
        in mail.defects
    )


def test_an_ordinary_thread_is_left_whole() -> None:
    """A hundred ids are kept as they are, with no defect."""
    mail = parse_mail(_mail(100)).mail
    assert mail.references == [f"<r{n}@mail.example.com>" for n in range(100)]
    assert not any("message ids" in defect for defect in mail.defects)


def test_a_long_in_reply_to_is_bounded_too() -> None:
    """In-Reply-To names one id; a forged list of 500 keeps 100."""
    mail = parse_mail(_mail(3, in_reply_to=500)).mail
    assert len(mail.in_reply_to) == 100
    assert mail.in_reply_to[-1] == "<a499@mail.example.com>"
    assert mail.references == [f"<r{n}@mail.example.com>" for n in range(3)]
