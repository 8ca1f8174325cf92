"""Cutting quoted history and signatures off replies."""

from __future__ import annotations

import pytest

from mailroom.reply_text import strip_quoted

NEW = "The printer works again, thanks.\nOne more question about toner."

HISTORIES = {
    "outlook-en": (
        "From: IT Helpdesk <helpdesk@example.org>\n"
        "Sent: Tuesday, 1 December 2026 09:14\n"
        "To: Aino Virtanen <aino@example.com>\nSubject: RE: Printer offline\n\nOld text"
    ),
    "outlook-de": (
        "Von: IT Helpdesk <helpdesk@example.org>\n"
        "Gesendet: Dienstag, 1. Dezember 2026\n"
        "An: Jörg Maier <jm@example.com>\nBetreff: AW: Drucker\n\nAlter Text"
    ),
    "outlook-fr": (
        "De : IT Helpdesk <helpdesk@example.org>\nEnvoyé : mardi 1 décembre 2026\n"
        "À : Claire <claire@example.com>\nObjet : RE: Imprimante\n\nAncien texte"
    ),
    "outlook-es": (
        "De: IT Helpdesk <helpdesk@example.org>\nEnviado: martes, 1 de diciembre\n"
        "Para: Lucía <lucia@example.com>\nAsunto: RE: Impresora\n\nTexto antiguo"
    ),
    "gmail": (
        "On Tue, Dec 1, 2026 at 9:14 AM IT Helpdesk <helpdesk@example.org> wrote:\n"
        "\n> Old text\n> more old text"
    ),
    "gmail-de": "Am Di., 1. Dez. 2026 um 09:14 Uhr schrieb J <j@example.com>:\n> Alt",
    "apple-fr": "Le 1 déc. 2026 à 09:14, Claire <c@example.com> a écrit :\n\n> Vieux",
    "wrapped-ru": (
        '01.12.2026 09:14 пользователь "helpdesk@example.org" <\n'
        "helpdesk@example.org> написал:\n\n> Старый текст"
    ),
    "original-message": "-----Original Message-----\nFrom: helpdesk@example.org\nOld",
    "original-de": "-----Ursprüngliche Nachricht-----\nVon: helpdesk@example.org\nAlt",
    "yahoo": "--- On Tue, 12/1/26, helpdesk@example.org <helpdesk@example.org> wrote:",
    "outlook-line": "________________________________\nFrom: helpdesk@example.org\nOld",
}


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_quoted_history_of_common_clients_is_cut(name: str) -> None:
    """The history under the new text is cut, whatever client wrote it."""
    assert strip_quoted(NEW + "\n\n" + HISTORIES[name]) == NEW


def test_bottom_posted_reply_keeps_only_the_new_text() -> None:
    """A reply written under the quote keeps the text below it."""
    text = "On 01/12/2026 09:14, IT Helpdesk wrote:\n> Is it fixed?\nYes, fixed."
    assert strip_quoted(text) == "Yes, fixed."


def test_interleaved_answers_are_kept_without_the_quotes() -> None:
    """Answers between quoted lines stay; the quoted lines go."""
    text = "> Which floor?\nThird floor.\n> Which model?\nLaserJet 400."
    assert strip_quoted(text) == "Third floor.\nLaserJet 400."


def test_signature_after_the_dash_dash_line_is_cut() -> None:
    """A `-- ` signature block at the end is removed."""
    text = NEW + "\n\n-- \nAino Virtanen\nFacilities, floor 3\n+358 40 000 0000"
    assert strip_quoted(text) == NEW


def test_text_without_quote_is_returned_whole() -> None:
    """A mail with no history is returned unchanged (trimmed)."""
    text = "Component: Storage\nEnvironment: production\n\nDisk is full.\n"
    assert strip_quoted(text) == text.strip()


def test_text_that_is_only_history_is_not_emptied() -> None:
    """When nothing new is left, the full text is returned."""
    text = "-----Original Message-----\nFrom: helpdesk@example.org\nSubject: x"
    assert strip_quoted(text) == text


def test_a_line_mentioning_wrote_without_date_or_address_is_kept() -> None:
    """A plain sentence ending in `wrote:` is not taken for an attribution."""
    text = "This is what the customer wrote:\n\nThe invoice is wrong."
    assert strip_quoted(text) == text


def test_empty_text_stays_empty() -> None:
    """An empty text gives an empty reply."""
    assert strip_quoted("  \n ") == ""


def test_reply_over_thousands_of_header_blocks_is_cut_at_the_first() -> None:
    """Each quoted block's line is found; the cut comes before the first."""
    block = "From: Ann <ann@example.com>\nSent: Monday\nTo: desk@example.org\n"
    text = "Pump 3 leaks again.\n\n" + (block + "Subject: Pump\n\nolder\n\n") * 2000

    assert strip_quoted(text) == "Pump 3 leaks again."


def test_text_of_history_markers_only_is_kept_whole() -> None:
    """Thousands of separators and no new text: nothing is cut."""
    text = "-----Original Message-----\n" * 3000

    assert strip_quoted(text) == text.strip()
