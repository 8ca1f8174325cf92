"""A mail whose body failed to parse still gives its headers and some text."""

from __future__ import annotations

from mailroom.mime_salvage import salvage_mail
from mailroom.models import Address
from tests.domain.nesting_samples import HEAD, deep_mail, nested

KEPT_TEXT = (
    "The mail's body could not be read whole (RecursionError); only its "
    "text down to 8 levels deep was kept, and its files and deeper parts "
    "were left unread."
)


def test_headers_and_shallow_text_are_kept() -> None:
    """Sender, subject and ids are read; text above 8 levels stays."""
    mail = salvage_mail(deep_mail(2000), RecursionError("too deep"))

    assert mail.sender == Address(
        email="aino.virtanen@example.com", name="Aino Virtanen"
    )
    assert mail.subject == "Printer on floor 3 offline"
    assert mail.message_id == "<deep-1@mail.example.com>"
    assert mail.text_body.strip() == "The printer does not answer."
    assert mail.defects == [KEPT_TEXT]


def test_text_below_the_shallow_depth_is_left_unread() -> None:
    """With no text within 8 levels, only the headers are kept."""
    raw = (HEAD + nested(12)).encode()

    mail = salvage_mail(raw, RecursionError("too deep"))

    assert mail.subject == "Printer on floor 3 offline"
    assert mail.text_body == ""
    assert mail.defects == [
        "The mail's body could not be read (RecursionError); only its "
        "headers were kept, and its text and files were left unread."
    ]


def test_a_report_keeps_its_type() -> None:
    """A bounce stays recognisable as one, so it is never acknowledged."""
    report = "multipart/report; report-type=delivery-status; boundary=r"
    raw = (HEAD + f"Content-Type: {report}\r\n\r\n--r--\r\n").encode()

    mail = salvage_mail(raw, ValueError("broken"))

    assert mail.content_type == "multipart/report"
    assert mail.report_type == "delivery-status"
