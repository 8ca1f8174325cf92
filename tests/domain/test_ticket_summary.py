"""Ticket summaries: cut to what each tool takes, the whole subject kept."""

from __future__ import annotations

from mailroom.models import TicketDraft
from mailroom.tickets import SUMMARY_LIMIT, draft_ticket, fit_summary, ticket_summary
from tests.domain.mailfactory import make_mail

LONG = "Badge reader at gate B refuses every card since Monday " * 5_000


def _draft(subject: str) -> TicketDraft:
    """Return the draft of a ticket opened from a mail with `subject`."""
    return draft_ticket(make_mail(subject=subject), "c1", {}, [])


def test_a_short_subject_is_the_summary_and_stays_out_of_the_description() -> None:
    """A subject that fits needs no copy in the description."""
    draft = _draft("RE: Printer on floor 3 offline")

    assert draft.summary == "Printer on floor 3 offline"
    assert draft.full_subject is None
    assert draft.description == "The printer does not answer."


def test_a_260_kb_subject_is_cut_on_a_word_and_kept_in_the_description() -> None:
    """The summary is SUMMARY_LIMIT at most; the description starts with it all."""
    draft = _draft(LONG)

    assert len(draft.summary) <= SUMMARY_LIMIT
    assert draft.summary.endswith("Badge reader at gate B refuses\u2026")
    assert draft.full_subject == LONG.strip()
    assert draft.description == (
        f"Subject: {LONG.strip()}\n\nThe printer does not answer."
    )


def test_the_thread_summary_is_cut_the_same_way() -> None:
    """What the ledger keeps for a thread is the ticket's summary."""
    assert ticket_summary(LONG) == _draft(LONG).summary


def test_a_tool_taking_fewer_characters_cuts_further_and_keeps_one_copy() -> None:
    """At 160 characters the description still holds the subject once."""
    draft = fit_summary(_draft(LONG), 160)

    assert len(draft.summary) <= 160 and draft.summary.endswith("\u2026")
    assert draft.description.count("Subject: ") == 1


def test_a_summary_between_the_bounds_moves_into_the_description() -> None:
    """A 200-character subject fits 255 but not 160: 160 copies it over."""
    subject = "Printer jammed " * 13 + "again"
    draft = fit_summary(_draft(subject), 160)

    assert draft.summary == "Printer jammed " * 10 + "Printer\u2026"
    assert draft.full_subject == subject
    assert draft.description.startswith(f"Subject: {subject}\n\n")


def test_a_summary_within_the_limit_leaves_the_draft_alone() -> None:
    """Nothing changes when the tool takes the whole summary."""
    draft = _draft("Printer on floor 3 offline")

    assert fit_summary(draft, 160) is draft
