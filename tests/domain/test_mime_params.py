"""Header parameters bounded in number before the email package reads them."""

from __future__ import annotations

from mailroom.mime import parse_mail
from mailroom.mime_params import MAX_PARAMS, TOO_MANY_PARAMS, bounded_params
from mailroom.mime_spool import MimeSpool

MANY = "; ".join(f"x{n}=y" for n in range(5000))


def test_only_the_first_parameters_are_kept() -> None:
    """A Content-Type is cut before its 65th parameter; other headers stay."""
    value = "text/plain; " + MANY

    assert bounded_params("Content-Type", value).count(";") == MAX_PARAMS
    assert bounded_params("Content-Type", "text/plain; a=b") == "text/plain; a=b"
    assert bounded_params("Subject", value) == value


def test_a_part_with_thousands_of_parameters_reads_the_first() -> None:
    """Its charset, given first, is used; a defect says the rest were not read."""
    raw = (
        "From: ann@example.com\r\nSubject: Crane\r\n"
        f"Content-Type: text/plain; charset=iso-8859-2; {MANY}\r\n\r\n"
    ).encode() + "Żuraw 2 stoi.".encode("iso-8859-2")

    mail = parse_mail(raw).mail

    assert mail.text_body == "Żuraw 2 stoi."
    assert mail.defects == [TOO_MANY_PARAMS]


def test_the_spool_takes_the_same_parameters_as_the_parser() -> None:
    """A boundary past the first parameters opens no multipart in either."""
    raw = (
        f"From: ann@example.com\r\nContent-Type: multipart/mixed; {MANY}; "
        'boundary="b"\r\n\r\n--b\r\nContent-Type: application/pdf\r\n\r\n'
        + "%PDF\r\n" * 50
        + "--b--\r\n"
    ).encode()
    spooler = MimeSpool("0a1b", max_bytes=10, max_total_bytes=10)
    spooler.feed(raw)
    skeleton = spooler.finish()

    assert spooler.left_off == 1 and len(parse_mail(raw).files) == 1
    assert b"--b--" not in skeleton
