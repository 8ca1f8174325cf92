"""Read what ServiceNow tells Mailroom: comments, new records, state changes.

ServiceNow sends them from a business rule that Mailroom documents
(`BUSINESS_RULE_SCRIPT`) as an outbound REST message: a JSON object with
number, sys_id, event ("comment", "created" or "status"), comment,
author_email, requester_email, short_description, state, sys_updated_on,
sys_mod_count, journal_sys_id and correlation_display.

A request is accepted only with `X-Mailroom-Timestamp` (Unix seconds,
within `MAX_SKEW` of now) and `X-Mailroom-Signature: sha256=<mac>`, where
the mac is HMAC-SHA256 under `trackers.<name>.shared_secret` of
`<timestamp>.<body>`, in base64 (as ServiceNow's generateMac writes it) or
hex. Signing the timestamp with the body is what stops a captured request
from being replayed later with a fresh time.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from typing import Any

from adapters.trackers.payloads import EVENT_KINDS, moment
from adapters.trackers.servicenow_journal import carries_mark
from adapters.trackers.signatures import (
    MAX_SKEW,
    WebhookRejectedError,
    header,
    hmac_sha256,
    same,
    stamped,
    within,
)
from mailroom.config import ServiceNowConfig
from mailroom.errors import MalformedInputError
from mailroom.models import Address
from mailroom.tool_events import ToolEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Mailroom-Signature"
TIMESTAMP_HEADER = "X-Mailroom-Timestamp"


def read_webhook(
    section: ServiceNowConfig,
    name: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime | None = None,
) -> list[ToolEvent]:
    """Check a request's signature and time, then return its events.

    Pass `now` to keep the call pure; without it the system clock is read.
    """
    verify(section, name, headers, body, now or datetime.now(UTC))
    sent = datetime.fromtimestamp(int(header(headers, TIMESTAMP_HEADER)), UTC)
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _malformed(name, "is not JSON") from None

    items = document if isinstance(document, list) else [document]
    return [_event(name, item, sent) for item in items]


def verify(
    section: ServiceNowConfig,
    name: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
) -> None:
    """Raise WebhookRejectedError unless the request is signed and fresh."""
    if section.shared_secret is None:
        raise _rejected(name, "no-secret", f"trackers.{name}.shared_secret is not set")

    stamp = header(headers, TIMESTAMP_HEADER).strip()
    given = header(headers, SIGNATURE_HEADER).strip()
    if not stamp.isdigit() or not given.startswith("sha256="):
        raise _rejected(name, "unsigned", "it carries no signature or time stamp")

    if not within(datetime.fromtimestamp(int(stamp), UTC), now, MAX_SKEW):
        raise _rejected(name, "stale", "its time stamp is more than 5 minutes off")

    secret = section.shared_secret.get_secret_value()
    mac = hmac_sha256(secret, stamped(stamp, body))
    if not signature_matches(given.removeprefix("sha256="), mac):
        raise _rejected(name, "forged", "its signature does not match")


def signature_matches(given: str, digest: bytes) -> bool:
    """Compare a base64 or hex signature with `digest` in constant time."""
    as_base64 = same(given, base64.b64encode(digest).decode("ascii"))
    return as_base64 | same(given, digest.hex())


def _event(name: str, item: Any, sent: datetime) -> ToolEvent:
    """Return the tool event one JSON object describes.

    The change is dated by `sys_updated_on`, else by the signed time the
    business rule sent it at.
    """
    if not isinstance(item, dict):
        raise _malformed(name, "is not a JSON object")
    kind = EVENT_KINDS.get(_text(item, "event"))
    number, sys_id = _text(item, "number"), _text(item, "sys_id")
    if kind is None or not number or not sys_id:
        raise _malformed(name, "lacks a known event, a number or a sys_id")

    comment = _text(item, "comment")
    ours = carries_mark(comment) or (
        kind == "created" and _text(item, "correlation_display") == "Mailroom"
    )
    updated, state = _text(item, "sys_updated_on"), _text(item, "state")
    # sys_updated_on counts seconds; sys_mod_count tells apart two updates
    # within one second, where the business rule sends it.
    version = _text(item, "sys_mod_count") or updated
    ids = {
        "comment": _text(item, "journal_sys_id") or f"{sys_id}:comment:{updated}",
        "created": f"{sys_id}:created",
        "status": f"{sys_id}:status:{state}:{version}",
    }
    return ToolEvent(
        tool=name,
        kind=kind,
        ticket_key=number,
        event_id=ids[kind],
        author=_address(item, "author_email"),
        body=comment,
        requester=_address(item, "requester_email"),
        summary=_text(item, "short_description") or None,
        status=(state or None) if kind == "status" else None,
        origin="mailroom" if ours else "tool",
        changed_at=moment(updated) or sent,
    )


def _text(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _address(item: dict[str, Any], key: str) -> Address | None:
    email = _text(item, key)
    return Address(email=email) if "@" in email else None


def _rejected(name: str, reason: str, why: str) -> WebhookRejectedError:
    logger.warning(
        "servicenow.webhook_rejected", extra={"tool": name, "reason": reason}
    )
    return WebhookRejectedError(
        f"a ServiceNow event for trackers.{name} was refused: {why}. Check that "
        f"the business rule signs with the value of trackers.{name}.shared_secret "
        "and that both clocks are right"
    )


def _malformed(name: str, what: str) -> MalformedInputError:
    return MalformedInputError(
        f"a signed ServiceNow event for trackers.{name} {what}; update the "
        "business rule from Mailroom's README"
    )


BUSINESS_RULE_SCRIPT = """\
// Mailroom: send comments, new records and state changes to Mailroom.
// Business rule on the table Mailroom writes to (incident by default).
//   When: after. Insert and Update ticked. Advanced ticked. No conditions.
// Add the system property mailroom.shared_secret (readable by admin only)
// holding the value of trackers.<name>.shared_secret, and set ENDPOINT to
// Mailroom's tool-events address for this tool.
(function executeRule(current, previous) {
    var ENDPOINT = 'https://mailroom.example.org/tool-events/servicenow';
    var secret = gs.getProperty('mailroom.shared_secret');
    if (!secret) {
        return;
    }

    var event = '';
    var entry = null;
    if (current.operation() == 'insert') {
        if (current.getValue('correlation_display') == 'Mailroom') {
            return; // opened by Mailroom from a mail: nothing to tell it
        }
        event = 'created';
    } else if (current.comments.changes()) {
        entry = new GlideRecord('sys_journal_field');
        entry.addQuery('element_id', current.getUniqueValue());
        entry.addQuery('element', 'comments');
        entry.orderByDesc('sys_created_on');
        entry.setLimit(1);
        entry.query();
        if (!entry.next()) {
            return;
        }
        event = 'comment';
    } else if (current.state.changes()) {
        event = 'status';
    } else {
        return;
    }

    var author = '';
    var user = new GlideRecord('sys_user');
    if (entry && user.get('user_name', entry.getValue('sys_created_by'))) {
        author = user.getValue('email') || '';
    }
    var requester = '';
    if (current.isValidField('caller_id') && !current.caller_id.nil()) {
        requester = current.caller_id.email + '';
    }

    var body = JSON.stringify({
        number: current.getValue('number'),
        sys_id: current.getUniqueValue(),
        event: event,
        comment: entry ? entry.getValue('value') : '',
        author_email: author,
        requester_email: requester,
        short_description: current.getValue('short_description') || '',
        state: current.getValue('state') || '',
        sys_updated_on: current.getValue('sys_updated_on'),
        sys_mod_count: current.getValue('sys_mod_count') || '',
        journal_sys_id: entry ? entry.getUniqueValue() : '',
        correlation_display: current.getValue('correlation_display') || ''
    });
    var timestamp = String(Math.floor(new Date().getTime() / 1000));
    var mac = new GlideCertificateEncryption().generateMac(
        GlideStringUtil.base64Encode(secret), 'HmacSHA256', timestamp + '.' + body);

    var request = new sn_ws.RESTMessageV2();
    request.setEndpoint(ENDPOINT);
    request.setHttpMethod('post');
    request.setRequestHeader('Content-Type', 'application/json');
    request.setRequestHeader('X-Mailroom-Timestamp', timestamp);
    request.setRequestHeader('X-Mailroom-Signature', 'sha256=' + mac);
    request.setRequestBody(body);
    request.executeAsync();
})(current, previous);
"""
