"""What Mailroom writes into Azure DevOps: HTML, tags, markers and keys.

Work item descriptions and comments are HTML, so mail text is escaped and
its line breaks kept. Azure DevOps has no internal comments: an internal
note is an ordinary comment that opens with "Internal note:". Each comment
ends with a hidden marker naming its correlation id, which makes adding it
idempotent and lets service hooks tell Mailroom's own comments apart. A
ticket carries the tag `mailroom-<correlation id>`, which a WIQL query finds
again after a crash.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

from adapters.trackers.azure_devops_fields import FittedFields
from adapters.trackers.markers import (
    INTERNAL_NOTE,
    MARKER_PREFIX,
    TAG_PREFIX,
    address_html,
    fitted_id,
)
from mailroom.models import CommentDraft, FieldProblem, TicketDraft
from mailroom.tickets import fit_summary

KEY_PREFIX = "AB#"
RELATED = "System.LinkTypes.Related"
ATTACHED_FILE = "AttachedFile"
TITLE_LIMIT = 255

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,120}")
_KEY = re.compile(r"(?:AB)?#?([1-9][0-9]*)", re.IGNORECASE)


def work_item_id(key: str) -> int | None:
    """Return the work item id of `AB#12`, `#12` or `12`; None for others."""
    match = _KEY.fullmatch(key.strip())
    return int(match.group(1)) if match else None


def ticket_key(item_id: int) -> str:
    """Return the key of a work item as mail subjects write it: `AB#12`."""
    return f"{KEY_PREFIX}{item_id}"


def work_item_url(organization_url: str, project: str, item_id: int) -> str:
    """Return the web address of a work item: its edit page."""
    organization = organization_url.rstrip("/")
    return f"{organization}/{quote(project, safe='')}/_workitems/edit/{item_id}"


def safe_id(correlation_id: str) -> str:
    """Return a correlation id fit for a tag or marker (hashed if need be)."""
    return fitted_id(correlation_id, _SAFE_ID)


def correlation_tag(correlation_id: str) -> str:
    """Return the tag that marks the ticket of a correlation id."""
    return TAG_PREFIX + safe_id(correlation_id)


def tag_query(tag: str) -> str:
    """Return the WIQL that finds the work items carrying `tag`."""
    quoted = tag.replace("'", "''")
    return (
        "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
        f"AND [System.Tags] CONTAINS '{quoted}' ORDER BY [System.Id]"
    )


def text_html(text: str) -> str:
    """Return plain text as HTML, its line breaks kept."""
    return html.escape(text.strip()).replace("\n", "<br>")


def description_html(
    draft: TicketDraft, carried: dict[str, str], problems: list[FieldProblem]
) -> str:
    """Return a new work item's description: text, requester, fields, problems."""
    parts = [f"<div>{text_html(draft.description)}</div>"]
    if draft.requester is not None:
        parts.append(f"<p>Requested by {address_html(draft.requester)}</p>")
    if carried:
        lines = [f"{name}: {value}" for name, value in sorted(carried.items())]
        parts.append(f"<p>Fields from the mail:</p>{_list_html(lines)}")
    if problems:
        lines = [f"{p.field} = {p.value}: {p.reason}" for p in problems]
        parts.append(f"<p>Fields Mailroom could not set:</p>{_list_html(lines)}")
    return "".join(parts)


def _list_html(lines: list[str]) -> str:
    """Return text lines as an HTML list, each escaped."""
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def comment_html(comment: CommentDraft) -> str:
    """Return a comment's HTML: note prefix, author, text, hidden marker."""
    parts = [] if comment.public else [f"<p><b>{INTERNAL_NOTE}</b></p>"]
    if comment.author is not None:
        verb = "sent" if comment.outgoing else "wrote"
        parts.append(f"<p><i>{address_html(comment.author)} {verb}:</i></p>")
    parts.append(f"<div>{text_html(comment.body)}</div>")
    parts.append(hidden_marker(comment.correlation_id))
    return "".join(parts)


def comment_marker(correlation_id: str) -> str:
    """Return the marker text that identifies a comment of Mailroom's."""
    return MARKER_PREFIX + safe_id(correlation_id)


def hidden_marker(correlation_id: str) -> str:
    """Return the marker as an element a reader does not see."""
    return f'<span style="display:none">{comment_marker(correlation_id)}</span>'


def creation_patch(
    draft: TicketDraft, fitted: FittedFields, problems: list[FieldProblem]
) -> list[dict[str, str]]:
    """Return the JSON Patch document that creates a draft's work item."""
    draft = fit_summary(draft, TITLE_LIMIT)
    title = " ".join(draft.summary.split()) or "(no subject)"
    fields = {
        "System.Title": title,
        "System.Description": description_html(draft, fitted.carried, problems),
    }
    tags = [correlation_tag(draft.correlation_id)]
    for reference, value in fitted.values.items():
        if reference == "System.Tags":
            tags += [tag.strip() for tag in value.split(";") if tag.strip()]
        else:
            fields[reference] = value
    fields["System.Tags"] = "; ".join(dict.fromkeys(tags))
    return [
        {"op": "add", "path": f"/fields/{reference}", "value": value}
        for reference, value in fields.items()
    ]


def has_file(relations: list[dict[str, Any]], filename: str, size: int) -> bool:
    """Tell whether a file of this name and size is attached already."""
    for relation in relations:
        attributes = relation.get("attributes")
        if not isinstance(attributes, dict):
            continue
        if (
            relation.get("rel") == ATTACHED_FILE
            and attributes.get("name") == filename
            and attributes.get("resourceSize") == size
        ):
            return True
    return False


def is_related(relations: list[dict[str, Any]], other: int) -> bool:
    """Tell whether a Related relation to work item `other` exists."""
    suffix = f"/workitems/{other}"
    return any(
        r.get("rel") == RELATED and str(r.get("url", "")).lower().endswith(suffix)
        for r in relations
    )
