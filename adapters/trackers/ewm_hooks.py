"""EWM notifications in: comments, new work items and state changes.

EWM sends no signed webhooks of its own, so Mailroom takes notifications
from a relay the EWM administrator runs (a work item save follow-up action,
or a script reading the change events) that signs each call with the
tracker's `notification_secret`:

- `X-Mailroom-Timestamp`: the Unix time of sending, in seconds; a call more
  than five minutes from Mailroom's clock is refused as a possible replay;
- `X-Mailroom-Signature`: `sha256=` and the hex HMAC-SHA256, keyed with the
  secret, of the timestamp, a dot and the raw body (see `sign`).

The body is Mailroom's own shape (EWM documents none), written with the
OSLC JSON names of EWM's API:

    {"id": "<unique id of the change>",
     "event": "comment" | "created" | "status",
     "workItem": {"dcterms:identifier": "42", "dcterms:title": "...",
                  "oslc_cm:status": "In Progress", "dcterms:subject": "a, b",
                  "dcterms:modified": "2024-05-27T09:30:00.125Z"},
     "comment": {"dcterms:description": "<XHTML>",
                 "dcterms:creator": {"foaf:name": "...", "foaf:mbox": "mailto:..."}},
     "requester": {"foaf:name": "...", "foaf:mbox": "mailto:..."}}

`dcterms:modified` dates the change, so that a status change arriving after
a newer one is not applied; without it the signed send time does.
A comment carrying Mailroom's marker, or a work item carrying its tag, is
Mailroom's own (origin "mailroom"); a comment that opens with "Internal
note:" is not public. Other `event` values are accepted and yield nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.trackers.ewm_text import (
    identifier,
    item_url,
    ticket_key,
)
from adapters.trackers.markers import INTERNAL_NOTE, MARKER_PREFIX, TAG_PREFIX
from adapters.trackers.payloads import (
    EVENT_KINDS,
    load_object,
    mapping,
    moment,
    text_or_none,
)
from adapters.trackers.signatures import (
    MAX_SKEW,
    WebhookRejectedError,
    header,
    hmac_sha256,
    same,
    stamped,
    within,
)
from mailroom.bodies import html_to_text
from mailroom.config import EwmConfig
from mailroom.errors import MalformedInputError
from mailroom.models import Address
from mailroom.tool_events import ToolEvent, ToolEventKind

SIGNATURE = "x-mailroom-signature"
TIMESTAMP = "x-mailroom-timestamp"

_MARKER_TEXT = re.compile(re.escape(MARKER_PREFIX) + r"\S*")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature a relay puts in X-Mailroom-Signature."""
    return "sha256=" + hmac_sha256(secret, stamped(timestamp, body)).hex()


def read_webhook(
    section: EwmConfig,
    name: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
) -> list[ToolEvent]:
    """Verify a signed notification and return the event it carries."""
    verify_signature(section, name, headers, body, now or datetime.now(UTC))
    sent = datetime.fromtimestamp(int(header(headers, TIMESTAMP).strip()), UTC)
    payload = _load(body, name)
    kind = EVENT_KINDS.get(str(payload.get("event", "")))
    return [] if kind is None else [_event(name, section, kind, payload, sent)]


def verify_signature(
    section: EwmConfig,
    name: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> None:
    """Raise WebhookRejectedError unless the call is signed and recent."""
    if section.notification_secret is None:
        raise WebhookRejectedError(
            f"tracker {name!r} takes no notifications: set trackers.{name}."
            "notification_secret and give the same secret to the EWM relay"
        )
    stamp = header(headers, TIMESTAMP).strip()
    if not stamp.isdigit():
        raise WebhookRejectedError(_refusal(name, "carries no X-Mailroom-Timestamp"))
    if not within(datetime.fromtimestamp(int(stamp), UTC), now, MAX_SKEW):
        raise WebhookRejectedError(_refusal(name, "is more than five minutes old"))

    secret = section.notification_secret.get_secret_value()
    expected = sign(secret, stamp, body)
    given = header(headers, SIGNATURE).strip()
    if not same(given, expected):
        raise WebhookRejectedError(_refusal(name, "has a wrong X-Mailroom-Signature"))


def _event(
    name: str,
    section: EwmConfig,
    kind: ToolEventKind,
    payload: dict[str, Any],
    sent: datetime,
) -> ToolEvent:
    """Read one verified notification."""
    work_item = mapping(payload.get("workItem"))
    item = identifier(work_item)
    if item is None:
        raise MalformedInputError(
            f"an EWM notification for tracker {name!r} names no work item; the "
            "relay must send workItem with dcterms:identifier"
        )
    comment = mapping(payload.get("comment"))
    html = str(comment.get("dcterms:description") or "")
    text = _MARKER_TEXT.sub("", html_to_text(html)).strip()
    tags = str(work_item.get("dcterms:subject") or "").split(",")
    own = MARKER_PREFIX in html or (
        kind == "created" and any(t.strip().startswith(TAG_PREFIX) for t in tags)
    )
    return ToolEvent(
        tool=name,
        kind=kind,
        ticket_key=ticket_key(item),
        ticket_url=item_url(section.base_url, item),
        event_id=_event_id(payload, name),
        author=_person(comment.get("dcterms:creator")),
        body=text,
        public=not text.startswith(INTERNAL_NOTE),
        requester=_person(payload.get("requester")),
        summary=text_or_none(work_item.get("dcterms:title")),
        status=text_or_none(work_item.get("oslc_cm:status")),
        origin="mailroom" if own else "tool",
        changed_at=moment(work_item.get("dcterms:modified")) or sent,
    )


def _load(body: bytes, name: str) -> dict[str, Any]:
    """Decode the JSON of a verified call."""
    where = f"an EWM notification for tracker {name!r}"
    return load_object(
        body,
        f"{where} is not JSON; check the relay",
        f"{where} is not a JSON object",
    )


def _event_id(payload: dict[str, Any], name: str) -> str:
    """Return the relay's id of the change, which replays repeat."""
    value = payload.get("id")
    if not isinstance(value, str) or not value:
        raise MalformedInputError(
            f"an EWM notification for tracker {name!r} has no id; the relay must "
            "send one per change"
        )
    return value


def _person(value: Any) -> Address | None:
    """Read a `foaf:Person` with a `mailto:` mailbox."""
    person = mapping(value)
    mailbox = str(person.get("foaf:mbox") or "").removeprefix("mailto:")
    if "@" not in mailbox:
        return None
    return Address(email=mailbox, name=str(person.get("foaf:name") or ""))


def _refusal(name: str, problem: str) -> str:
    return (
        f"an EWM notification for tracker {name!r} {problem}; check that the relay "
        f"signs with trackers.{name}.notification_secret"
    )
