"""Descriptions and comments render as Cloud's ADF and Data Center's wiki."""

from __future__ import annotations

from adapters.trackers.jira_format import (
    TEXT_LIMIT,
    Block,
    adf_text,
    comment_blocks,
    escape_wiki,
    marker_in,
    ticket_blocks,
    to_adf,
    to_wiki,
    unescape_wiki,
)
from mailroom.models import Address, CommentDraft, FieldProblem, TicketDraft

ADA = Address(email="ada@example.com", name="Ada Lindqvist")


def comment(**changes: object) -> CommentDraft:
    """Return a reply from Ada with a quoted history."""
    values = {"correlation_id": "m-7", "author": ADA, "body": "It works again."}
    return CommentDraft.model_validate(values | changes)


def test_plain_text_becomes_adf_paragraphs_with_hard_breaks() -> None:
    """Blank lines split paragraphs; single line ends become hardBreak nodes."""
    doc = to_adf([Block("text", "Line one\nLine two\n\nNext paragraph")])
    first, second = doc["content"]
    assert doc["type"] == "doc" and doc["version"] == 1
    assert [node["type"] for node in first["content"]] == ["text", "hardBreak", "text"]
    assert second["content"] == [{"type": "text", "text": "Next paragraph"}]


def test_full_text_goes_in_an_adf_expand_node() -> None:
    """A reply's full mail is folded away under an expand titled Full message."""
    doc = to_adf(comment_blocks(comment(full_text="It works again.\n> old")))
    expand = next(node for node in doc["content"] if node["type"] == "expand")
    assert expand["attrs"] == {"title": "Full message"}
    assert "> old" in adf_text(expand)


def test_wiki_escapes_what_would_become_markup() -> None:
    """Stars, braces and list dashes from mail are escaped, and come back."""
    text = "Use *bold* {code} [link]\n- not a list"
    escaped = escape_wiki(text)
    assert "\\*bold\\*" in escaped and "\\{code\\}" in escaped
    assert "\\- not a list" in escaped
    assert unescape_wiki(escaped) == text


def test_wiki_folds_full_text_in_a_noformat_the_text_cannot_close() -> None:
    """Data Center has no expand macro: the full text sits in {noformat}."""
    wiki = to_wiki(comment_blocks(comment(full_text="ok {noformat} *x*")))
    assert "*Full message*\n{noformat}\nok { noformat} *x*\n{noformat}" in wiki
    assert wiki.count("{noformat}") == 2


def test_every_comment_ends_with_its_marker_in_both_formats() -> None:
    """The marker line names the correlation id in ADF and in escaped wiki."""
    blocks = comment_blocks(comment(correlation_id="m-12_ab"))
    assert marker_in(adf_text(to_adf(blocks))) == "m-12_ab"
    assert marker_in(to_wiki(blocks)) == "m-12_ab"


def test_description_opens_with_the_requester_and_lists_problems() -> None:
    """Cloud may not set the reporter by address, so the first line names them."""
    problem = FieldProblem(field="severity", value="Urgent", reason="not allowed")
    draft = TicketDraft(
        correlation_id="m-1", summary="s", description="Body", requester=ADA
    )
    blocks = ticket_blocks(draft, {"site": "Oslo"}, [problem])
    assert blocks[0].text == "Requester: Ada Lindqvist <ada@example.com>"
    assert "site: Oslo" in to_wiki(blocks)
    assert "severity = Urgent: not allowed" in to_wiki(blocks)


def test_long_text_is_cut_with_a_note() -> None:
    """Jira's field limit is respected, and the cut is said, not hidden."""
    blocks = comment_blocks(comment(body="x" * (TEXT_LIMIT + 500)))
    text = blocks[1].text
    assert len(text) < TEXT_LIMIT + 100
    assert text.endswith(f"(cut at {TEXT_LIMIT} characters; Mailroom keeps the mail)")


def test_control_characters_never_reach_jira() -> None:
    """Characters Jira refuses in text are dropped; line ends are normalised."""
    doc = to_adf([Block("text", "a\x00b\r\nc\x07")])
    assert adf_text(doc) == "ab\nc\n\n"
