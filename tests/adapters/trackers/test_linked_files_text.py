"""Every tracker's text keeps the linked files section readable and inert."""

from __future__ import annotations

import html

from adapters.trackers import azure_devops_text, ewm_text, servicenow_text
from adapters.trackers.jira_format import (
    adf_text,
    comment_blocks,
    ticket_blocks,
    to_adf,
    to_wiki,
    unescape_wiki,
)
from mailroom.mime import parse_mail
from mailroom.tickets import draft_comment, draft_ticket
from tests.domain.cloud_link_samples import (
    FORECAST_URL,
    reply_quoting_forecast,
    shared_forecast,
)

LOG_URL = "https://www.dropbox.com/scl/fi/q8w2e/app.log?rlkey=k3j&dl=0"
TICKET_LINE = f"- Q3 forecast.xlsx (OneDrive): {FORECAST_URL}"
COMMENT_LINE = f"- app.log (Dropbox): {LOG_URL}"
DRAFT = draft_ticket(parse_mail(shared_forecast()).mail, "k-1", {}, [])
COMMENT = draft_comment(
    parse_mail(reply_quoting_forecast((LOG_URL, "app.log"))).mail,
    "k-2",
    public=True,
    outgoing=False,
)


def test_jira_cloud_shows_the_section_as_text() -> None:
    """ADF carries the link lines as plain text nodes."""
    assert TICKET_LINE in adf_text(to_adf(ticket_blocks(DRAFT, {}, [])))
    assert COMMENT_LINE in adf_text(to_adf(comment_blocks(COMMENT)))


def test_jira_data_center_escapes_the_section_and_reads_back() -> None:
    """Wiki markup escapes the list dash and underscores; a reader sees the line."""
    wiki = to_wiki(ticket_blocks(DRAFT, {}, []))
    assert TICKET_LINE not in wiki
    assert TICKET_LINE in unescape_wiki(wiki)


def test_azure_devops_escapes_the_section_as_html() -> None:
    """Work item HTML holds the escaped lines, `&` of the URL included."""
    description = azure_devops_text.description_html(DRAFT, {}, [])
    comment = azure_devops_text.comment_html(COMMENT)
    assert html.escape(TICKET_LINE) in description
    assert html.escape(COMMENT_LINE) in comment


def test_ewm_escapes_the_section_as_xhtml() -> None:
    """EWM descriptions and comments hold the escaped lines."""
    assert html.escape(TICKET_LINE) in ewm_text.description_html(DRAFT, {}, [])
    assert html.escape(COMMENT_LINE) in ewm_text.comment_html(COMMENT)


def test_servicenow_keeps_the_section_in_description_and_journal() -> None:
    """ServiceNow text fields take the lines as they are."""
    _, description = servicenow_text.record_texts(DRAFT, [], {})
    assert TICKET_LINE in description
    assert COMMENT_LINE in servicenow_text.comment_text(COMMENT)
