"""Charset detections counted per mail: the first are made, the rest refused."""

from __future__ import annotations

from mailroom.detection_budget import limited_detection, take_detection
from mailroom.mime import CHARSETS_UNDETECTED, parse_mail


def _mail(notes: int) -> bytes:
    """Build a mail with `notes` headers in a charset no one knows."""
    head = "".join(f"X-Note-{n}: =?x-unknown?Q?=E9t=E9?=\r\n" for n in range(notes))
    return (head + "From: ann@example.com\r\nSubject: Dock\r\n\r\nHi.\r\n").encode()


def test_detections_past_the_budget_are_refused_and_counted() -> None:
    """Two allowed: the third and fourth are refused; outside, all are made."""
    with limited_detection(2) as budget:
        taken = [take_detection() for _ in range(4)]

    assert taken == [True, True, False, False] and budget.refused == 2
    assert take_detection()


def test_mail_with_more_undetected_pieces_than_the_budget_says_so() -> None:
    """Past the budget, pieces read as Windows-1252 and a defect is recorded."""
    mail = parse_mail(_mail(notes=300)).mail

    assert CHARSETS_UNDETECTED in mail.defects
    assert mail.headers[299].value == "été"


def test_mail_within_the_budget_records_no_defect() -> None:
    """A few pieces without a usable charset are all detected, silently."""
    mail = parse_mail(_mail(notes=10)).mail

    assert CHARSETS_UNDETECTED not in mail.defects
