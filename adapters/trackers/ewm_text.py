"""What Mailroom writes into EWM and reads back: keys, tags, HTML, links.

A work item's key is `EWM-<id>`, its URL the Jazz resource address
`<base>/resource/itemName/com.ibm.team.workitem.WorkItem/<id>` (a browser
is shown the web UI there). Its correlation id travels as the tag
`mailroom-<id>` in `dcterms:subject`, EWM's comma-separated tags, which an
OSLC query (`oslc.where=dcterms:subject="..."`) finds again. Descriptions
and comments are XHTML; mail text is escaped and its line breaks kept.
EWM work item comments are all public, so an internal note opens with
"Internal note:". Each comment ends with a marker naming its correlation
id, in a span a reader does not see; where EWM drops the style, the marker
shows as a short line and still does its work.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from adapters.trackers.ewm_fields import FittedFields
from adapters.trackers.markers import (
    INTERNAL_NOTE,
    MARKER_PREFIX,
    TAG_PREFIX,
    address_html,
    fitted_id,
)
from mailroom.errors import PermanentError
from mailroom.models import CommentDraft, FieldProblem, TicketDraft
from mailroom.tickets import fit_summary

KEY_PREFIX = "EWM-"
ATTACHMENTS = "rtc_cm:com.ibm.team.workitem.linktype.attachment.attachment"
RELATED = "oslc_cm:relatedChangeRequest"
COMMENTS = "rtc_cm:comments"
WORK_ITEM_PATH = "resource/itemName/com.ibm.team.workitem.WorkItem"

# Summary is a Medium HTML attribute of 1,000 bytes; 250 characters fit
# even when each takes the four bytes of UTF-8's longest.
TITLE_LIMIT = 250

_SAFE_ID = re.compile(r"[a-z0-9._-]{1,120}")
_KEY = re.compile(r"(?:EWM-)?([1-9][0-9]*)", re.IGNORECASE)
_ITEM_NAME = re.compile(r"/com\.ibm\.team\.workitem\.WorkItem/([1-9][0-9]*)$")


def work_item_id(key: str) -> int | None:
    """Return the work item id of `EWM-12` or `12`; None for other keys."""
    match = _KEY.fullmatch(key.strip())
    return int(match.group(1)) if match else None


def ticket_key(item_id: int) -> str:
    """Return the key of a work item: `EWM-12`."""
    return f"{KEY_PREFIX}{item_id}"


def item_url(base_url: str, item_id: int) -> str:
    """Return the resource address of a work item."""
    return f"{base_url.rstrip('/')}/{WORK_ITEM_PATH}/{item_id}"


def identifier(resource: Any) -> int | None:
    """Return the id of a work item in OSLC JSON, by identifier or address."""
    if not isinstance(resource, dict):
        return None
    value = resource.get("dcterms:identifier")
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    address = resource.get("rdf:about") or resource.get("rdf:resource")
    found = _ITEM_NAME.search(str(address or ""))
    return int(found.group(1)) if found else None


def safe_id(correlation_id: str) -> str:
    """Return a correlation id fit for a tag or marker (hashed if need be)."""
    return fitted_id(correlation_id, _SAFE_ID)


def correlation_tag(correlation_id: str) -> str:
    """Return the tag that marks the ticket of a correlation id."""
    return TAG_PREFIX + safe_id(correlation_id)


def tag_where(tag: str) -> str:
    """Return the `oslc.where` clause that finds work items tagged `tag`."""
    return f'dcterms:subject="{tag}"'


def text_html(text: str) -> str:
    """Return plain text as XHTML, its line breaks kept."""
    return html.escape(text.strip()).replace("\n", "<br/>")


def creation_body(
    draft: TicketDraft, fitted: FittedFields, problems: list[FieldProblem]
) -> dict[str, Any]:
    """Return the OSLC JSON of a new change request."""
    draft = fit_summary(draft, TITLE_LIMIT)
    values = dict(fitted.values)
    tags = [correlation_tag(draft.correlation_id)]
    mapped_tags = values.pop("dcterms:subject", None)
    if isinstance(mapped_tags, str):
        tags += [tag.strip() for tag in mapped_tags.split(",") if tag.strip()]
    description = description_html(draft, fitted.carried, problems)
    body: dict[str, Any] = {
        "dcterms:title": " ".join(draft.summary.split()) or "(no subject)",
        "dcterms:description": description,
        "dcterms:subject": ", ".join(dict.fromkeys(tags)),
    }
    return body | values


def description_html(
    draft: TicketDraft, carried: dict[str, str], problems: list[FieldProblem]
) -> str:
    """Return a new work item's description: text, requester, fields, problems."""
    parts = [text_html(draft.description)]
    if draft.requester is not None:
        parts.append(f"Requested by {address_html(draft.requester)}")
    if carried:
        lines = [f"{name}: {value}" for name, value in sorted(carried.items())]
        parts.append(_section("Fields from the mail:", lines))
    if problems:
        lines = [f"{p.field} = {p.value}: {p.reason}" for p in problems]
        parts.append(_section("Fields Mailroom could not set:", lines))
    return "<br/><br/>".join(parts)


def _section(heading: str, lines: list[str]) -> str:
    """Return a heading and its lines as XHTML, the lines escaped."""
    return "<br/>".join([heading, *(html.escape(line) for line in lines)])


def comment_html(comment: CommentDraft) -> str:
    """Return a comment's XHTML: note prefix, author, text, hidden marker."""
    parts = [] if comment.public else [f"<b>{INTERNAL_NOTE}</b>"]
    if comment.author is not None:
        verb = "sent" if comment.outgoing else "wrote"
        parts.append(f"<i>{address_html(comment.author)} {verb}:</i>")
    parts.append(text_html(comment.body))
    marker = comment_marker(comment.correlation_id)
    return "<br/>".join(parts) + f'<span style="display:none">{marker}</span>'


def comment_marker(correlation_id: str) -> str:
    """Return the marker text that identifies a comment of Mailroom's."""
    return MARKER_PREFIX + safe_id(correlation_id)


def descriptions(value: Any) -> list[str]:
    """Return every `dcterms:description` text anywhere in OSLC JSON."""
    if isinstance(value, list):
        return [text for item in value for text in descriptions(item)]
    if not isinstance(value, dict):
        return []
    found = (
        [str(value["dcterms:description"])] if "dcterms:description" in value else []
    )
    return found + [text for item in value.values() for text in descriptions(item)]


def links(resource: dict[str, Any], name: str) -> list[str]:
    """Return the addresses a link attribute of a work item points at."""
    value = resource.get(name)
    items = value if isinstance(value, list) else [value]
    return [
        str(item["rdf:resource"])
        for item in items
        if isinstance(item, dict) and item.get("rdf:resource")
    ]


def uploaded_url(text: str, name: str) -> str:
    """Return the address of an uploaded file from the service's answer."""
    start, end = text.find("{"), text.rfind("}")
    try:
        answer = json.loads(text[start : end + 1]) if 0 <= start < end else {}
    except ValueError:
        answer = {}
    files = answer.get("files") if isinstance(answer, dict) else None
    first = files[0] if isinstance(files, list) and files else None
    if not isinstance(first, dict) or not isinstance(first.get("url"), str):
        raise PermanentError(
            f"the EWM attachment service answered without a file address for "
            f"tracker {name!r}; check that trackers.{name}.base_url is the CCM "
            "application"
        )
    return str(first["url"])
