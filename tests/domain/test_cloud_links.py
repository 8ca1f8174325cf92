"""Links to cloud files: found in the body, named, deduped, hostile ones refused."""

from __future__ import annotations

import pytest

from mailroom.cloud_links import cloud_url, find_cloud_links
from mailroom.mime import parse_mail
from mailroom.models import CloudLink
from tests.domain.cloud_link_samples import (
    FORECAST_URL,
    outlook_html,
    reply_quoting_forecast,
    shared_forecast,
)

LOG_URL = "https://www.dropbox.com/scl/fi/q8w2e/app.log?rlkey=k3j&dl=0"


def links(html: str, text: str = "") -> list[CloudLink]:
    """Return the cloud links of an HTML body."""
    return find_cloud_links(html, text)


def anchor(href: str, text: str = "file") -> str:
    """Return a body holding one anchor."""
    return f'<html><body><p>See <a href="{href}">{text}</a>.</p></body></html>'


def test_outlook_shared_file_is_one_link_named_by_its_anchor() -> None:
    """The icon anchor and the name anchor to one file make one link."""
    html = outlook_html("See the file:", FORECAST_URL, "Q3 forecast.xlsx")
    assert links(html) == [
        CloudLink(name="Q3 forecast.xlsx", url=FORECAST_URL, provider="OneDrive")
    ]


def test_a_link_nested_past_the_parser_limit_is_found() -> None:
    """A link 300 levels deep, past what libxml2 parses, is still read."""
    html = "<div>" * 300 + f'<a href="{LOG_URL}">app.log</a>'

    assert [link.url for link in links(html)] == [LOG_URL]


def test_parse_mail_records_the_shared_file() -> None:
    """A new Outlook mail sharing a OneDrive file carries it in cloud_links."""
    mail = parse_mail(shared_forecast()).mail
    assert [(link.name, link.quoted) for link in mail.cloud_links] == [
        ("Q3 forecast.xlsx", False)
    ]


@pytest.mark.parametrize(
    ("url", "provider"),
    [
        ("https://example.sharepoint.com/:w:/s/Finance/EbF2?e=a1", "SharePoint"),
        ("https://example-my.sharepoint.com/personal/ada/Documents/a.pdf", "OneDrive"),
        ("https://agency.sharepoint.us/:p:/r/sites/Ops/Deck.pptx", "SharePoint"),
        ("https://unit.sharepoint-mil.us/:x:/g/Ez9", "SharePoint"),
        ("https://example.sharepoint.cn/:b:/s/Legal/Eq1", "SharePoint"),
        ("https://1drv.ms/x/s!AkZ3mX9pQ", "OneDrive"),
        ("https://onedrive.live.com/?cid=A1B2&id=A1B2%21105", "OneDrive"),
        (LOG_URL, "Dropbox"),
        ("https://drive.google.com/file/d/1aB2cD3eF/view?usp=sharing", "Google Drive"),
        ("https://docs.google.com/spreadsheets/d/1xYz/edit", "Google Drive"),
        ("https://app.box.com/s/p8k2m4n6q0", "Box"),
        ("https://example.app.box.com/file/981273", "Box"),
    ],
)
def test_known_providers_are_named(url: str, provider: str) -> None:
    """Each provider's share links count and are named by provider."""
    assert cloud_url(url) == (url, provider)


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(document.domain)//https://example.sharepoint.com/x",
        "data:text/html,https://example.sharepoint.com/x",
        "https://sharepoint.com.evil.example/:x:/g/a",
        "https://example.sharepoint.com.evil.example/:x:/g/a",
        "https://evilsharepoint.com/:x:/g/a",
        "https://sharepoint.com@evil.example/:x:/g/a",
        "https://ada:pw@example.sharepoint.com/:x:/g/a",
        "https://evil.example\\@example.sharepoint.com/:x:/g/a",
        "https://evil.example%2f@example.sharepoint.com/x",
        "https://.sharepoint.com/:x:/g/a",
        "https://ex\u0430mple.sharepoint.com/:x:/g/a",  # a Cyrillic a
        "ftp://example.sharepoint.com/a.xlsx",
        "https://example.sharepoint.com/sites/Intranet",
        "https://example.sharepoint.com/sites/Intranet/SitePages/Home.aspx",
        "https://www.dropbox.com/pricing",
        "https://www.google.com/search?q=drive",
        "https://1drv.ms/",
    ],
)
def test_hostile_and_non_file_links_do_not_count(href: str) -> None:
    """Script URLs, lookalike hosts, user info and site pages are refused."""
    assert cloud_url(href) is None
    assert links(anchor(href, "Budget.xlsx")) == []


def test_each_url_is_recorded_once() -> None:
    """The same file linked twice (a fragment apart) is listed once."""
    html = anchor(LOG_URL, "here") + anchor(LOG_URL + "#top", "app.log")
    assert [(link.name, link.url) for link in links(html)] == [("app.log", LOG_URL)]


def test_a_link_without_a_file_name_is_named_by_its_path() -> None:
    """Anchor text that is no file name gives way to the decoded last segment."""
    url = "https://example.sharepoint.com/sites/Ops/Shared%20Documents/Run%20book.docx"
    [link] = links(anchor(url, "click here"))
    assert link.name == "Run book.docx"


def test_a_link_with_only_a_viewer_path_is_named_by_its_host() -> None:
    """A Google Drive `/view` link without a named anchor shows its host."""
    [link] = links(anchor("https://drive.google.com/file/d/1aB2/view", "this"))
    assert link.name == "drive.google.com"


def test_a_host_written_as_the_anchor_text_is_no_file_name() -> None:
    """`example.sharepoint.com` as the text does not pass for a name."""
    url = "https://example.sharepoint.com/:x:/r/Shared%20Documents/Plan.xlsx"
    [link] = links(anchor(url, "example.sharepoint.com"))
    assert link.name == "Plan.xlsx"


def test_safe_links_are_unwrapped_to_the_original() -> None:
    """A Defender Safe Links wrapper records the file it points at."""
    wrapped = (
        "https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2F"
        "app.box.com%2Fs%2Fp8k2m4&data=05%7C02%7C&reserved=0"
    )
    [link] = links(anchor(wrapped, "report.csv"))
    assert (link.url, link.provider) == ("https://app.box.com/s/p8k2m4", "Box")


def test_a_safe_links_wrapper_around_a_lookalike_is_refused() -> None:
    """Unwrapping applies the same host rules to the inner link."""
    wrapped = (
        "https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2F"
        "sharepoint.com.evil.example%2Fx&reserved=0"
    )
    assert cloud_url(wrapped) is None


def test_a_link_only_in_the_quoted_history_is_marked_quoted() -> None:
    """A reply quoting the first mail marks its link as quoted."""
    mail = parse_mail(reply_quoting_forecast()).mail
    assert [(link.url, link.quoted) for link in mail.cloud_links] == [
        (FORECAST_URL, True)
    ]


def test_a_link_in_a_blockquote_is_quoted_and_one_after_it_is_new() -> None:
    """Apple Mail and Thunderbird quote in a blockquote; text below is new."""
    html = (
        f'<html><body><blockquote type="cite"><a href="{FORECAST_URL}">'
        f'Q3 forecast.xlsx</a></blockquote><p><a href="{LOG_URL}">app.log</a>'
        "</p></body></html>"
    )
    assert [link.quoted for link in links(html)] == [True, False]


def test_a_link_both_new_and_quoted_counts_as_new() -> None:
    """Sharing a file again above the quote lists it again."""
    html = (
        f'<html><body><a href="{LOG_URL}">app.log</a><div id="divRplyFwdMsg">'
        f'</div><a href="{LOG_URL}">app.log</a></body></html>'
    )
    assert [link.quoted for link in links(html)] == [False]


def test_plain_text_links_are_found_when_there_is_no_html() -> None:
    """A plain-text mail's links count; those in the quoted history are marked."""
    text = (
        f"New log: {LOG_URL}.\n\nOn Tue, 3 Mar 2026 at 09:14, Ada "
        f"<ada@example.com> wrote:\n> Q3 forecast.xlsx<{FORECAST_URL}>\n"
    )
    found = find_cloud_links(None, text)
    assert [(link.url, link.quoted) for link in found] == [
        (LOG_URL, False),
        (FORECAST_URL, True),
    ]


def test_unreadable_html_falls_back_to_the_text() -> None:
    """HTML that lxml cannot parse does not hide the links of the text."""
    found = find_cloud_links("   ", f"see {LOG_URL}")
    assert [link.url for link in found] == [LOG_URL]


def test_names_from_hostile_anchor_text_are_one_short_line() -> None:
    """Control characters and line breaks never reach a link's name."""
    url = "https://example.sharepoint.com/:x:/r/Plan%0A%0Dinjected.xlsx"
    [link] = links(anchor(url, "x"))
    assert "\n" not in link.name and "\r" not in link.name
