"""Inline forwards: header blocks of many clients, and the requester they imply."""

from __future__ import annotations

import pytest

from mailroom.forwards import (
    ForwardedHeader,
    choose_requester,
    parse_forwarded_header,
)
from mailroom.models import Address
from tests.domain.mailfactory import make_mail

NOTE = "Please have a look.\n\n"
AINO = "aino.virtanen@example.com"

BLOCKS = [
    # Outlook, under its rule, in each language it is used in.
    (
        "________________________________\n"
        "From: Aino Virtanen <aino.virtanen@example.com>\n"
        "Sent: Monday, March 3, 2025 10:15 AM\n"
        "To: Support <support@example.org>\n"
        "Subject: Printer offline\n",
        "Printer offline",
        "Monday, March 3, 2025 10:15 AM",
    ),
    (
        "-----Ursprüngliche Nachricht-----\n"
        "Von: Virtanen, Aino <aino.virtanen@example.com>\n"
        "Gesendet: Montag, 3. März 2025 10:15\n"
        "An: Support <support@example.org>\n"
        "Cc: Lauri Mäkelä <lauri@example.org>\n"
        "Betreff: Drucker offline\n",
        "Drucker offline",
        "Montag, 3. März 2025 10:15",
    ),
    (
        "De : Aino Virtanen <aino.virtanen@example.com>\n"
        "Envoyé : lundi 3 mars 2025 10:15\n"
        "À : Support <support@example.org>\n"
        "Objet : Imprimante hors ligne\n",
        "Imprimante hors ligne",
        "lundi 3 mars 2025 10:15",
    ),
    (
        "De: Aino Virtanen [mailto:aino.virtanen@example.com]\n"
        "Enviado el: lunes, 3 de marzo de 2025 10:15\n"
        "Para: Support <support@example.org>\n"
        "Asunto: Impresora sin conexión\n",
        "Impresora sin conexión",
        "lunes, 3 de marzo de 2025 10:15",
    ),
    (
        "Da: Aino Virtanen <aino.virtanen@example.com>\n"
        "Inviato: lunedì 3 marzo 2025 10:15\n"
        "A: Support <support@example.org>\n"
        "Oggetto: Stampante non in linea\n",
        "Stampante non in linea",
        "lunedì 3 marzo 2025 10:15",
    ),
    (
        "Van: Aino Virtanen <aino.virtanen@example.com>\n"
        "Verzonden: maandag 3 maart 2025 10:15\n"
        "Aan: Support <support@example.org>\n"
        "Onderwerp: Printer offline\n",
        "Printer offline",
        "maandag 3 maart 2025 10:15",
    ),
    (
        "De: Aino Virtanen <aino.virtanen@example.com>\n"
        "Enviada em: segunda-feira, 3 de março de 2025 10:15\n"
        "Para: Support <support@example.org>\n"
        "Assunto: Impressora offline\n",
        "Impressora offline",
        "segunda-feira, 3 de março de 2025 10:15",
    ),
    (
        "Från: Aino Virtanen <aino.virtanen@example.com>\n"
        "Skickat: den 3 mars 2025 10:15\n"
        "Till: Support <support@example.org>\n"
        "Ämne: Skrivaren är offline\n",
        "Skrivaren är offline",
        "den 3 mars 2025 10:15",
    ),
    (
        "Fra: Aino Virtanen <aino.virtanen@example.com>\n"
        "Sendt: 3. marts 2025 10:15\n"
        "Til: Support <support@example.org>\n"
        "Emne: Printeren er offline\n",
        "Printeren er offline",
        "3. marts 2025 10:15",
    ),
    (
        "Lähettäjä: Aino Virtanen <aino.virtanen@example.com>\n"
        "Lähetetty: maanantai 3. maaliskuuta 2025 10.15\n"
        "Vastaanottaja: Support <support@example.org>\n"
        "Aihe: Tulostin ei vastaa\n",
        "Tulostin ei vastaa",
        "maanantai 3. maaliskuuta 2025 10.15",
    ),
    (
        "Od: Aino Virtanen <aino.virtanen@example.com>\n"
        "Wysłano: poniedziałek, 3 marca 2025 10:15\n"
        "Do: Support <support@example.org>\n"
        "Temat: Drukarka offline\n",
        "Drukarka offline",
        "poniedziałek, 3 marca 2025 10:15",
    ),
    (
        "差出人: Aino Virtanen <aino.virtanen@example.com>\n"
        "送信日時: 2025年3月3日 10:15\n"
        "宛先: Support <support@example.org>\n"
        "件名: プリンターがオフライン\n",
        "プリンターがオフライン",
        "2025年3月3日 10:15",
    ),
    # Gmail, in English and German.
    (
        "---------- Forwarded message ---------\n"
        "From: Aino Virtanen <aino.virtanen@example.com>\n"
        "Date: Mon, Mar 3, 2025 at 10:15 AM\n"
        "Subject: Printer offline\n"
        "To: <support@example.org>\n",
        "Printer offline",
        "Mon, Mar 3, 2025 at 10:15 AM",
    ),
    (
        "---------- Weitergeleitete Nachricht ---------\n"
        "Von: *Aino Virtanen* <aino.virtanen@example.com>\n"
        "Date: Mo., 3. März 2025 um 10:15 Uhr\n"
        "Subject: Drucker offline\n"
        "To: <support@example.org>\n",
        "Drucker offline",
        "Mo., 3. März 2025 um 10:15 Uhr",
    ),
    # Apple Mail, in English, German and French.
    (
        "Begin forwarded message:\n\n"
        "From: Aino Virtanen <aino.virtanen@example.com>\n"
        "Subject: Printer offline\n"
        "Date: 3 March 2025 at 10:15:00 CET\n"
        "To: support@example.org\n",
        "Printer offline",
        "3 March 2025 at 10:15:00 CET",
    ),
    (
        "Anfang der weitergeleiteten Nachricht:\n\n"
        "Von: Aino Virtanen <aino.virtanen@example.com>\n"
        "Betreff: Drucker offline\n"
        "Datum: 3. März 2025 um 10:15:00 MEZ\n"
        "An: support@example.org\n",
        "Drucker offline",
        "3. März 2025 um 10:15:00 MEZ",
    ),
    (
        "Début du message réexpédié :\n\n"
        "De: Aino Virtanen <aino.virtanen@example.com>\n"
        "Objet: Imprimante hors ligne\n"
        "Date: 3 mars 2025 à 10:15:00 UTC+1\n"
        "À: support@example.org\n",
        "Imprimante hors ligne",
        "3 mars 2025 à 10:15:00 UTC+1",
    ),
    # Thunderbird, subject first, values after a tab.
    (
        "-------- Forwarded Message --------\n"
        "Subject: \tPrinter offline\n"
        "Date: \tMon, 3 Mar 2025 10:15:00 +0100\n"
        "From: \tAino Virtanen <aino.virtanen@example.com>\n"
        "To: \tsupport@example.org\n",
        "Printer offline",
        "Mon, 3 Mar 2025 10:15:00 +0100",
    ),
    # Text made from an Outlook HTML forward: bold labels, blank lines.
    (
        "*From:* Aino Virtanen <aino.virtanen@example.com>\n\n"
        "*Sent:* Monday, March 3, 2025 10:15 AM\n\n"
        "*To:* Support <support@example.org>\n\n"
        "*Subject:* Printer offline\n",
        "Printer offline",
        "Monday, March 3, 2025 10:15 AM",
    ),
]


@pytest.mark.parametrize(("block", "subject", "date_text"), BLOCKS)
def test_forward_header_blocks(block: str, subject: str, date_text: str) -> None:
    """Each client's block yields the original sender, subject and date."""
    found = parse_forwarded_header(NOTE + block + "\nThe printer is offline.\n")

    assert found is not None
    assert found.sender is not None and found.sender.email == AINO
    assert (found.subject, found.date_text) == (subject, date_text)
    assert found.block_start == len(NOTE)


def test_outlook_recipients_may_go_on_over_lines() -> None:
    """A long To line wrapped onto the next does not end the block."""
    block = (
        "From: Aino <aino.virtanen@example.com>\nSent: Monday\n"
        "To: Support <support@example.org>; Lauri <lauri@example.org>;\n"
        " Mika <mika@example.org>\nSubject: Printer offline\n"
    )

    found = parse_forwarded_header(block)
    assert found is not None and found.subject == "Printer offline"


def test_sender_without_an_address_is_none() -> None:
    """An Exchange display name alone gives no sender."""
    block = "From: Virtanen, Aino\nSent: Monday\nTo: Support\nSubject: Printer\n"
    found = parse_forwarded_header(block)

    assert found is not None and found.sender is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "From: the sales team, with thanks.\nRegards\n",
        "Subject: printer\nThe printer is offline.\n",
        "From: a@example.com\n\n\nTo: b@example.com\n\n\nSubject: x\n",
    ],
)
def test_text_without_a_header_block(text: str) -> None:
    """A lone "From:" line or scattered labels are no forwarded header."""
    assert parse_forwarded_header(text) is None


CUSTOMER = Address(email=AINO, name="Aino")
ORIGINAL = ForwardedHeader(
    sender=Address(email="mika@example.net"), subject="x", block_start=0
)


def test_internal_agent_forwarding_makes_the_original_sender_requester() -> None:
    """An agent's forward of a customer's mail is the customer's request."""
    agent = make_mail(sender=Address(email="agent@it.example.org"))
    requester, reason = choose_requester(agent, ORIGINAL, ["example.org"])

    assert requester == ORIGINAL.sender
    assert "internal" in reason


def test_customer_forwarding_someone_else_stays_the_requester() -> None:
    """An external sender cannot speak for the person they forward."""
    mail = make_mail(sender=CUSTOMER)
    requester, reason = choose_requester(mail, ORIGINAL, ["example.org"])

    assert requester == CUSTOMER
    assert "external" in reason


@pytest.mark.parametrize(
    ("forwarded", "domains"),
    [
        (None, ["example.com"]),
        (ORIGINAL.model_copy(update={"sender": None}), ["example.com"]),
        (ORIGINAL, []),
        (ORIGINAL, ["ample.com"]),
    ],
)
def test_sender_stays_requester(
    forwarded: ForwardedHeader | None, domains: list[str]
) -> None:
    """No block, no original address, or no internal domain: the sender stays."""
    requester, reason = choose_requester(make_mail(sender=CUSTOMER), forwarded, domains)

    assert requester == CUSTOMER
    assert "@" not in reason


def test_mail_without_sender_has_no_requester() -> None:
    """A forward with no From is never pinned on its original sender."""
    requester, _ = choose_requester(make_mail(sender=None), ORIGINAL, ["example.com"])

    assert requester is None
