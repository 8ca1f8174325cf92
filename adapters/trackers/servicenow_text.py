"""The words Mailroom writes into ServiceNow records and their journals."""

from __future__ import annotations

from adapters.trackers.servicenow_journal import mark
from mailroom.models import CommentDraft, FieldProblem, TicketDraft
from mailroom.tickets import fit_summary

# The length of short_description on task and the tables extending it.
SUMMARY_LIMIT = 160


def record_texts(
    draft: TicketDraft, problems: list[FieldProblem], others: dict[str, str]
) -> tuple[str, str]:
    """Return the short description and the description of a new record.

    The description keeps what the record's fields cannot: a subject too
    long for short_description, values left out, and fields with no column.
    """
    draft = fit_summary(draft, SUMMARY_LIMIT)
    parts = [draft.description.strip()]
    if problems:
        lines = [f"  - {p.field} = {p.value}: {p.reason}" for p in problems]
        parts.append("Values from the mail that were left out:\n" + "\n".join(lines))
    if others:
        lines = [f"  - {field}: {value}" for field, value in others.items()]
        parts.append("Other fields from the mail:\n" + "\n".join(lines))
    return draft.summary, "\n\n".join(part for part in parts if part)


def comment_text(comment: CommentDraft) -> str:
    """Return a comment's text, saying who wrote it by mail.

    Every entry is written by the integration account, so the mail's
    author is named in the text.
    """
    author = comment.author
    if author is None:
        return comment.body
    who = f"{author.name} <{author.email}>" if author.name else author.email
    verb = "answered" if comment.outgoing else "wrote"
    return f"{who} {verb} by mail:\n\n{comment.body}"


def link_note(other_key: str, relation: str) -> CommentDraft:
    """Return the work note that relates a record to `other_key`, once."""
    body = f"Related to {other_key} ({relation}), as Mailroom found by mail."
    link_id = f"link-{relation}-{other_key}"
    return CommentDraft(correlation_id=link_id, body=body, public=False)


def event_note(event: str, detail: dict[str, str]) -> str:
    """Return the work note recording an event on the record's mail."""
    facts = ", ".join(f"{name}: {value}" for name, value in sorted(detail.items()))
    return f"Mailroom recorded {event} ({facts}).\n\n{mark('event:' + event)}"
