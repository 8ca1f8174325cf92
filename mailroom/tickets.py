"""Turn a normalized mail into the ticket and comment drafts trackers take."""

from __future__ import annotations

import re

from mailroom.bounds import shorten
from mailroom.models import (
    Attachment,
    CloudLink,
    CommentDraft,
    FieldProblem,
    NormalizedMail,
    RelatedItem,
    TicketDraft,
)
from mailroom.reply_text import strip_quoted
from mailroom.subjects import strip_prefixes

CID_REFERENCE = re.compile(r"\[?cid:([^\]\s>\"']+)\]?", re.IGNORECASE)
NO_SUBJECT = "(no subject)"
NOTE_LIMIT = 4000
# The longest summary every tool takes: Jira's summary and Azure DevOps's
# title hold 255 characters. A tool that takes fewer cuts further with
# `fit_summary`.
SUMMARY_LIMIT = 255


def ticket_summary(subject: str) -> str:
    """Return the summary for a ticket: the subject without its prefixes.

    A subject longer than SUMMARY_LIMIT is cut on a word boundary.
    """
    base, _ = strip_prefixes(subject)
    return shorten(base, SUMMARY_LIMIT) or NO_SUBJECT


def fit_summary(draft: TicketDraft, limit: int) -> TicketDraft:
    """Return `draft` with a summary of at most `limit` characters.

    The description then starts with the whole subject, once.
    """
    if len(draft.summary) <= limit:
        return draft
    subject = draft.full_subject or draft.summary
    description = draft.description
    if draft.full_subject is None:
        description = _with_subject(subject, description)
    update = {
        "summary": shorten(subject, limit),
        "description": description,
        "full_subject": subject,
    }
    return draft.model_copy(update=update)


def draft_ticket(
    mail: NormalizedMail,
    correlation_id: str,
    fields: dict[str, str],
    problems: list[FieldProblem],
) -> TicketDraft:
    """Return the draft of a ticket opened from `mail`."""
    text = show_inline_images(mail.text_body, mail.attachments).strip()
    sections = describe_related(mail.related) + describe_links(mail.cloud_links)
    description = text + sections
    summary = ticket_summary(mail.subject)
    base = " ".join(strip_prefixes(mail.subject)[0].split())
    full_subject = base if len(base) > SUMMARY_LIMIT else None
    if full_subject is not None:
        description = _with_subject(full_subject, description)
    return TicketDraft(
        correlation_id=correlation_id,
        summary=summary,
        description=description,
        full_subject=full_subject,
        requester=mail.sender,
        fields=fields,
        problems=problems,
    )


def _with_subject(subject: str, description: str) -> str:
    """Return a description that starts with the subject the summary cuts."""
    return f"Subject: {subject}\n\n{description}".strip()


def draft_comment(
    mail: NormalizedMail, correlation_id: str, *, public: bool, outgoing: bool
) -> CommentDraft:
    """Return a comment holding a reply's new text, without quoted history.

    Files linked only in the quoted history were listed when they came.
    """
    text = show_inline_images(mail.text_body, mail.attachments).strip()
    body = strip_quoted(text).strip() or text or NO_SUBJECT
    fresh = [link for link in mail.cloud_links if not link.quoted]
    return CommentDraft(
        correlation_id=correlation_id,
        author=mail.sender,
        body=body + describe_links(fresh),
        public=public,
        outgoing=outgoing,
        full_text=text if text != body else None,
    )


def draft_note(mail: NormalizedMail, correlation_id: str, reason: str) -> CommentDraft:
    """Return an internal note recording automated mail about a ticket."""
    text = mail.text_body.strip()[:NOTE_LIMIT]
    body = f"Automated mail received ({reason}).\n\n{text}".strip()
    return CommentDraft(
        correlation_id=correlation_id, author=mail.sender, body=body, public=False
    )


def describe_related(items: list[RelatedItem]) -> str:
    """Return a section per mail attached to this one (.eml or .msg)."""
    sections = []
    for item in items:
        sender = item.sender.email if item.sender else "an unknown sender"
        files = (
            f"\nIts files: {', '.join(item.attachment_names)}"
            if item.attachment_names
            else ""
        )
        text = item.text.strip()[:NOTE_LIMIT]
        sections.append(
            f"\n\n--- Attached mail {item.source_filename}: "
            f'"{item.subject}" from {sender} ---\n{text}{files}'
        )
    return "".join(sections)


def describe_links(links: list[CloudLink]) -> str:
    """Return a section naming the files the mail links to, not attached."""
    if not links:
        return ""
    lines = [f"- {link.name} ({link.provider}): {link.url}" for link in links]
    return "\n\n--- Linked files (not attached) ---\n" + "\n".join(lines)


def show_inline_images(text: str, attachments: list[Attachment]) -> str:
    """Replace `cid:` references with the inline file's name.

    Mail clients write `[cid:image001.png@01DB...]` into the text part where
    an image sat; a ticket shows the image by name instead of a dead link.
    """
    names = {a.content_id: a.filename for a in attachments if a.content_id}

    def replace(match: re.Match[str]) -> str:
        name = names.get(match.group(1))
        return f"[image: {name}]" if name else "[image]"

    return CID_REFERENCE.sub(replace, text)
