"""What Mailroom writes into Jira, as Cloud's ADF or Data Center's wiki markup.

A description or comment is first a list of blocks (plain text, a bold
heading, a folded full text); one renderer turns them into an Atlassian
Document Format document (Cloud, REST v3), another into a wiki markup
string (Data Center, REST v2). Mail text is carried literally: wiki
characters are escaped, and nothing a sender wrote can become markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from mailroom.models import Address, CommentDraft, FieldProblem, TicketDraft

# Jira keeps at most 32,767 characters in a text field; the ADF structure
# around the text takes its share, so the text itself stays well below.
TEXT_LIMIT = 20_000
MARKER = "mailroom ref:"
LABEL_PREFIX = "mailroom-"
_MARKER_PATTERN = re.compile(r"\(mailroom ref: ([A-Za-z0-9._:-]+)\)")
_UNSAFE_IN_LABEL = re.compile(r"[^A-Za-z0-9._-]")
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Braces, brackets, bars, bangs, stars and underscores open markup anywhere;
# the others only at the start of a word (lists, dashes, +underline+ ...).
_WIKI_SPECIAL = re.compile(r"([\\{}\[\]|!*_]|(?<!\S)[-+^~?#])")
_WIKI_ESCAPED = re.compile(r"\\([\\{}\[\]|!*_^~+?#-])")

BlockKind = Literal["text", "heading", "folded"]


@dataclass(frozen=True)
class Block:
    """One part of a description or comment."""

    kind: BlockKind
    text: str
    title: str = ""


def ticket_blocks(
    draft: TicketDraft, carried: dict[str, str], problems: list[FieldProblem]
) -> list[Block]:
    """Return a ticket's description: requester, mail text, fields, problems."""
    blocks = [Block("text", f"Requester: {_person(draft.requester)}")]
    blocks.append(Block("text", _cut(draft.description) or "(no text)"))
    if carried:
        lines = [f"{field}: {value}" for field, value in sorted(carried.items())]
        blocks += [
            Block("heading", "Fields from the mail"),
            Block("text", "\n".join(lines)),
        ]
    if problems:
        lines = [f"{p.field} = {p.value}: {p.reason}" for p in problems]
        blocks += [Block("heading", "Not taken over"), Block("text", "\n".join(lines))]
    return blocks


def comment_blocks(comment: CommentDraft) -> list[Block]:
    """Return a comment from mail: who wrote it, its text, the full mail."""
    verb = "sent" if comment.outgoing else "wrote"
    blocks = [Block("text", f"{_person(comment.author)} {verb}:")]
    blocks.append(Block("text", _cut(comment.body) or "(no text)"))
    if comment.full_text:
        room = max(TEXT_LIMIT - len(comment.body), 1000)
        blocks.append(Block("folded", _cut(comment.full_text, room), "Full message"))
    return [*blocks, marker_block(comment.correlation_id)]


def note_blocks(text: str, correlation_id: str) -> list[Block]:
    """Return an internal note of Mailroom's, such as an event on the mail."""
    return [Block("text", _cut(text)), marker_block(correlation_id)]


def correlation_label(correlation_id: str) -> str:
    """Return the label that marks the issue of a correlation id."""
    return LABEL_PREFIX + _UNSAFE_IN_LABEL.sub("_", correlation_id)


def upload_name(filename: str) -> str:
    """Return the last path part of `filename`, without control characters."""
    last = re.split(r"[/\\]", filename)[-1]
    return _UNSAFE_IN_NAME.sub("", last).strip()[:200] or "attachment"


def marker_block(correlation_id: str) -> Block:
    """Return the line that tells Mailroom's comments from people's."""
    return Block("text", f"({MARKER} {correlation_id})")


def marker_in(text: str) -> str | None:
    """Return the correlation id of Mailroom's marker in `text`, if any."""
    found = _MARKER_PATTERN.search(text.replace("\\", ""))
    return found.group(1) if found else None


def without_marker(text: str) -> str:
    """Return `text` without Mailroom's marker line."""
    return _MARKER_PATTERN.sub("", text).strip()


def to_adf(blocks: list[Block]) -> dict[str, Any]:
    """Render blocks as an ADF document (Jira Cloud, REST v3)."""
    content: list[dict[str, Any]] = []
    for block in blocks:
        if block.kind == "heading":
            content.append(_paragraph(block.text, strong=True))
        elif block.kind == "folded":
            inner = _paragraphs(block.text) or [_paragraph("")]
            content.append(
                {"type": "expand", "attrs": {"title": block.title}, "content": inner}
            )
        else:
            content += _paragraphs(block.text)
    return {"type": "doc", "version": 1, "content": content or [_paragraph("")]}


def to_wiki(blocks: list[Block]) -> str:
    """Render blocks as wiki markup (Jira Data Center, REST v2).

    Jira's wiki markup has no expand macro (that one is Confluence's), so
    the full text goes in a {noformat} block under a bold title.
    """
    parts = []
    for block in blocks:
        if block.kind == "heading":
            parts.append(f"*{escape_wiki(block.text)}*")
        elif block.kind == "folded":
            literal = _clean(block.text).replace("{noformat}", "{ noformat}")
            title = escape_wiki(block.title)
            parts.append(f"*{title}*\n{{noformat}}\n{literal}\n{{noformat}}")
        else:
            parts.append(escape_wiki(_clean(block.text)))
    return "\n\n".join(parts)


def escape_wiki(text: str) -> str:
    """Escape the characters that start wiki markup, so text stays text."""
    return _WIKI_SPECIAL.sub(r"\\\1", text)


def unescape_wiki(text: str) -> str:
    """Undo `escape_wiki`: the text a person reads in the rendered comment."""
    return _WIKI_ESCAPED.sub(r"\1", text)


def adf_text(node: Any) -> str:
    """Return the plain text of an ADF document or node."""
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    inner = "".join(adf_text(child) for child in node.get("content") or [])
    if kind in ("paragraph", "heading", "expand", "nestedExpand", "codeBlock"):
        return inner + "\n\n"
    return inner


def _paragraphs(text: str) -> list[dict[str, Any]]:
    cleaned = _clean(text).strip("\n")
    return [_paragraph(part) for part in _PARAGRAPH_BREAK.split(cleaned) if part]


def _paragraph(text: str, *, strong: bool = False) -> dict[str, Any]:
    inline: list[dict[str, Any]] = []
    for number, line in enumerate(text.split("\n")):
        if number:
            inline.append({"type": "hardBreak"})
        if line:
            node: dict[str, Any] = {"type": "text", "text": line}
            if strong:
                node["marks"] = [{"type": "strong"}]
            inline.append(node)
    return {"type": "paragraph", "content": inline}


def _person(address: Address | None) -> str:
    if address is None:
        return "An unknown sender"
    return f"{address.name} <{address.email}>" if address.name else address.email


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _cut(text: str, limit: int = TEXT_LIMIT) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n\n(cut at {limit} characters; Mailroom keeps the mail)"
