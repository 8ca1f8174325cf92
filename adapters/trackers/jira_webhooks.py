"""Read Jira's webhooks: check the signature, turn the payload into events.

A Jira webhook registered with a secret carries `X-Hub-Signature:
sha256=<hex>`, an HMAC-SHA256 of the raw body keyed with that secret. A
request without it, or with a signature that does not match, is refused
before its body is read. Public comments become "comment" events, issues
opened in Jira "created" events, status changes "status" events; what
Mailroom wrote itself (its marker line, its label) comes back with origin
"mailroom" so that it is never mailed back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from adapters.trackers.jira_format import (
    LABEL_PREFIX,
    adf_text,
    marker_in,
    unescape_wiki,
    without_marker,
)
from adapters.trackers.payloads import load_object
from adapters.trackers.signatures import (
    WebhookRejectedError,
    header,
    hmac_sha256,
    same,
    within,
)
from mailroom.config import JiraConfig
from mailroom.errors import MalformedInputError
from mailroom.models import Address
from mailroom.tool_events import ToolEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "x-hub-signature"
# Jira retries a failed delivery for a while; a day covers that and refuses
# a signed request captured and sent again later.
REPLAY_WINDOW = timedelta(days=1)

Origin = Literal["tool", "mailroom"]


def read_webhook(
    section: JiraConfig,
    name: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime | None = None,
) -> list[ToolEvent]:
    """Return the events of a signed Jira webhook; raise WebhookRejectedError.

    With `now`, a webhook stamped further than a day from it is refused, and
    so is one without a stamp in milliseconds: the signature covers the
    stamp, so an old request cannot be replayed later.
    """
    verify_signature(section, name, headers, body)
    payload = _load(body, name)
    if now is not None:
        _check_age(payload, name, now)
    issue = payload.get("issue") or {}
    key = str(issue.get("key") or "")
    if not key.startswith(f"{section.project}-"):
        return []

    url = f"{section.base_url.rstrip('/')}/browse/{key}"
    event = payload.get("webhookEvent")
    if event == "comment_created":
        return _comment_event(name, key, url, payload)
    if event == "jira:issue_created":
        return _created_event(name, key, url, issue)
    if event == "jira:issue_updated":
        return _status_event(name, key, url, payload)
    return []


def verify_signature(
    section: JiraConfig, name: str, headers: dict[str, str], body: bytes
) -> None:
    """Check `X-Hub-Signature` against the configured secret, in constant time."""
    setting = f"trackers.{name}.webhook_secret"
    if section.webhook_secret is None:
        _reject(name, "no-secret")
        raise WebhookRejectedError(
            f"Jira webhooks for {name} are refused until {setting} is set to "
            "the secret of the Jira webhook"
        )
    sent = header(headers, SIGNATURE_HEADER)
    if not sent:
        _reject(name, "unsigned")
        raise WebhookRejectedError(
            f"a Jira webhook for {name} came without X-Hub-Signature; give the "
            f"webhook in Jira the secret that {setting} holds"
        )

    digest = hmac_sha256(section.webhook_secret.get_secret_value(), body)
    if not same(sent.strip().lower(), "sha256=" + digest.hex()):
        _reject(name, "forged")
        raise WebhookRejectedError(
            f"a Jira webhook for {name} has a signature that does not match "
            f"{setting}; check that Jira and Mailroom hold the same secret"
        )


def body_text(body: Any) -> str:
    """Return the text of a comment or description: ADF or wiki markup."""
    if isinstance(body, dict):
        return adf_text(body).strip()
    return unescape_wiki(str(body or "")).strip()


def _comment_event(
    name: str, key: str, url: str, payload: dict[str, Any]
) -> list[ToolEvent]:
    comment = payload.get("comment") or {}
    if comment.get("visibility") or comment.get("jsdPublic") is False:
        return []
    text = body_text(comment.get("body"))
    origin: Origin = "mailroom" if marker_in(text) else "tool"
    fields = (payload.get("issue") or {}).get("fields") or {}
    event = ToolEvent(
        tool=name,
        kind="comment",
        ticket_key=key,
        event_id=f"comment-{_required(comment, 'id', name)}",
        author=_address(comment.get("author")),
        body=without_marker(text),
        summary=fields.get("summary"),
        ticket_url=url,
        origin=origin,
        changed_at=sent_at(payload),
    )
    return [event]


def _created_event(
    name: str, key: str, url: str, issue: dict[str, Any]
) -> list[ToolEvent]:
    fields = issue.get("fields") or {}
    labels = fields.get("labels") or []
    mine = any(str(label).startswith(LABEL_PREFIX) for label in labels)
    event = ToolEvent(
        tool=name,
        kind="created",
        ticket_key=key,
        event_id=f"created-{_required(issue, 'id', name)}",
        requester=_address(fields.get("reporter")),
        body=body_text(fields.get("description")),
        summary=fields.get("summary"),
        ticket_url=url,
        origin="mailroom" if mine else "tool",
    )
    return [event]


def _status_event(
    name: str, key: str, url: str, payload: dict[str, Any]
) -> list[ToolEvent]:
    items = (payload.get("changelog") or {}).get("items") or []
    changes = [item for item in items if item.get("field") == "status"]
    if not changes:
        return []
    issue = payload.get("issue") or {}
    event = ToolEvent(
        tool=name,
        kind="status",
        ticket_key=key,
        event_id=_status_id(payload, issue, name),
        author=_address(payload.get("user")),
        status=str(changes[-1].get("toString") or ""),
        summary=(issue.get("fields") or {}).get("summary"),
        ticket_url=url,
        changed_at=sent_at(payload),
    )
    return [event]


def _status_id(payload: dict[str, Any], issue: dict[str, Any], name: str) -> str:
    """Return the changelog's id, unique per change; else issue and stamp.

    Two changes in one millisecond have one stamp but two changelog ids.
    """
    changelog = payload.get("changelog") or {}
    if changelog.get("id") not in (None, ""):
        return f"status-changelog-{changelog['id']}"
    return f"status-{_required(issue, 'id', name)}-{payload.get('timestamp', '')}"


def sent_at(payload: dict[str, Any]) -> datetime | None:
    """Return when Jira raised the event, from its stamp in milliseconds."""
    stamp = payload.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        return None
    try:
        return datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _check_age(payload: dict[str, Any], name: str, now: datetime) -> None:
    sent = sent_at(payload)
    if sent is None:
        _reject(name, "unstamped")
        raise WebhookRejectedError(
            f"a signed Jira webhook for {name} has no timestamp in milliseconds; "
            "without one a replayed request cannot be told from a new one, so "
            "it is refused (check that the request comes from Jira itself)"
        )
    if not within(sent, now, REPLAY_WINDOW):
        _reject(name, "stale")
        raise WebhookRejectedError(
            f"a signed Jira webhook for {name} was sent more than a day ago; "
            "a replayed request is refused (check the clocks if this repeats)"
        )


def _address(user: Any) -> Address | None:
    """Return a Jira user's address; Cloud leaves it out for private profiles."""
    if not isinstance(user, dict) or not user.get("emailAddress"):
        return None
    name = str(user.get("displayName") or "")
    return Address(email=str(user["emailAddress"]), name=name)


def _load(body: bytes, name: str) -> dict[str, Any]:
    where = f"a signed Jira webhook for {name}"
    return load_object(
        body,
        f"{where} is not JSON; check the webhook's configuration in Jira",
        f"{where} is not a JSON object",
    )


def _required(item: dict[str, Any], field: str, name: str) -> str:
    value = item.get(field)
    if value is None or value == "":
        raise MalformedInputError(
            f"a signed Jira webhook for {name} has no {field}; it cannot be "
            "told apart from its replays"
        )
    return str(value)


def _reject(name: str, reason: str) -> None:
    logger.warning("jira.webhook_rejected", extra={"tool": name, "reason": reason})
