"""Linked files on tickets: listed on new tickets, once across replies."""

from __future__ import annotations

from mailroom.mime import parse_mail
from mailroom.models import CloudLink
from mailroom.tickets import describe_links, draft_comment, draft_ticket
from tests.domain.cloud_link_samples import (
    FORECAST_URL,
    reply_quoting_forecast,
    shared_forecast,
)
from tests.domain.mailfactory import make_mail

LOG_URL = "https://www.dropbox.com/scl/fi/q8w2e/app.log?rlkey=k3j&dl=0"
SECTION = "--- Linked files (not attached) ---"


def test_the_section_names_file_provider_and_url() -> None:
    """Each link is one line: name, provider, URL."""
    link = CloudLink(name="app.log", url=LOG_URL, provider="Dropbox")
    assert describe_links([link]) == f"\n\n{SECTION}\n- app.log (Dropbox): {LOG_URL}"


def test_no_links_add_no_section() -> None:
    """A mail without cloud links keeps its description as it was."""
    draft = draft_ticket(make_mail(), "k-1", {}, [])
    assert draft.description == "The printer does not answer."


def test_a_new_ticket_lists_the_shared_file() -> None:
    """The ticket of an Outlook mail sharing a OneDrive file lists it."""
    draft = draft_ticket(parse_mail(shared_forecast()).mail, "k-1", {}, [])
    assert f"{SECTION}\n- Q3 forecast.xlsx (OneDrive): {FORECAST_URL}" in (
        draft.description
    )


def test_a_reply_quoting_the_original_does_not_list_its_link_again() -> None:
    """The comment of a reply leaves out links of the quoted history."""
    mail = parse_mail(reply_quoting_forecast()).mail
    comment = draft_comment(mail, "k-2", public=True, outgoing=False)
    assert SECTION not in comment.body
    assert comment.body.startswith("It still fails after the update.")


def test_a_reply_sharing_another_file_lists_only_that_one() -> None:
    """A file shared in the reply's new text is listed; the quoted one not."""
    raw = reply_quoting_forecast((LOG_URL, "app.log"))
    comment = draft_comment(parse_mail(raw).mail, "k-3", public=True, outgoing=False)
    assert comment.body.endswith(f"{SECTION}\n- app.log (Dropbox): {LOG_URL}")
    assert FORECAST_URL not in comment.body


def test_the_section_does_not_make_a_comment_look_cut() -> None:
    """A reply with nothing quoted keeps no separate full text."""
    link = CloudLink(name="app.log", url=LOG_URL, provider="Dropbox")
    mail = make_mail(text_body="Here is the log.\n", cloud_links=[link])
    comment = draft_comment(mail, "k-4", public=True, outgoing=False)
    assert comment.full_text is None
    assert comment.body.startswith("Here is the log.")
