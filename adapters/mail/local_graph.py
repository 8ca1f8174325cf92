"""What the local mailbox says over the wire, shaped as Microsoft Graph says it.

Change and lifecycle notifications, the endpoint validation handshake, and
delta links. Only the local mailbox uses these; the Graph adapter talks to
the real service.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx

from adapters.mail.local_registry import StoredSubscription
from mailroom.errors import DeltaExpiredError, PermanentError, RetryableError

LOCAL_TENANT_ID = "6f0c5a1e-3b7d-4e29-8c41-0d9a7b2e5f13"
HTTP_TIMEOUT = 10.0
DELTA_LINK_LIFETIME = timedelta(days=7)
DELTA_PREFIX = "local-delta:"


def subscription_resource(mailbox: str, folder: str) -> str:
    """Return the resource path Graph would show for a folder's messages."""
    return f"users/{mailbox}/mailFolders('{folder}')/messages"


def change_notification(
    stored: StoredSubscription, mailbox: str, item_id: str, change_type: str
) -> bytes:
    """Build the body Graph posts when an item changes in a watched folder."""
    resource = f"Users/{mailbox}/Messages/{item_id}"
    notification = {
        **_common(stored),
        "changeType": change_type,
        "resource": resource,
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Message",
            "@odata.id": resource,
            "id": item_id,
        },
    }
    return json.dumps({"value": [notification]}).encode("utf-8")


def lifecycle_notification(stored: StoredSubscription, event: str) -> bytes:
    """Build the body Graph posts to the lifecycle URL."""
    notification = {**_common(stored), "lifecycleEvent": event}
    return json.dumps({"value": [notification]}).encode("utf-8")


def graph_time(moment: datetime) -> str:
    """Format a time the way Graph does: UTC, milliseconds, a trailing Z."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def check_endpoint_url(url: str) -> None:
    """Refuse a notification URL that is not an absolute http(s) URL."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PermanentError(_bad_url(url)) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise PermanentError(_bad_url(url))


def validate_endpoint(client: httpx.Client, url: str) -> None:
    """Check that `url` echoes a validation token, as Graph does on creation."""
    token = f"Validation: local mailbox checks this endpoint {uuid.uuid4()}"
    separator = "&" if "?" in url else "?"
    target = url + separator + urlencode({"validationToken": token})
    try:
        response = client.post(
            target,
            headers={"Content-Type": "text/plain; charset=utf-8"},
            timeout=HTTP_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise PermanentError(
            f"the endpoint on {_where(url)} did not answer the validation "
            f"request within {HTTP_TIMEOUT:.0f} s ({type(exc).__name__}); "
            "check that it is running and reachable"
        ) from exc

    content_type = response.headers.get("content-type", "")
    echoed = response.status_code == 200 and response.text == token
    if not (echoed and content_type.startswith("text/plain")):
        raise PermanentError(
            f"the endpoint on {_where(url)} answered the validation request "
            f"with status {response.status_code} and type {content_type!r}; "
            "it must answer 200, text/plain, with the decoded validationToken"
        )


def post_notification(client: httpx.Client, url: str, body: bytes) -> None:
    """Post a notification; raise Retryable or PermanentError on failure."""
    try:
        response = client.post(
            url,
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=HTTP_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise RetryableError(
            f"posting a notification to {_where(url)} failed "
            f"({type(exc).__name__}); check that the webhook is running"
        ) from exc

    status = response.status_code
    if status >= 500 or status == 429:
        raise RetryableError(f"the webhook on {_where(url)} answered {status}")
    if status >= 300:
        raise PermanentError(
            f"the webhook on {_where(url)} refused a notification with {status}"
        )


def encode_delta_link(
    epoch: str, mailbox: str, folder: str, after: int, issued: datetime
) -> str:
    """Return an opaque link that remembers a position in the change log."""
    state = {
        "epoch": epoch,
        "mailbox": mailbox.lower(),
        "folder": folder,
        "after": after,
        "issued": issued.timestamp(),
    }
    packed = json.dumps(state, separators=(",", ":")).encode("utf-8")
    return DELTA_PREFIX + base64.urlsafe_b64encode(packed).decode("ascii")


def decode_delta_link(
    link: str, epoch: str, mailbox: str, folder: str, now: datetime, newest: int
) -> int:
    """Return the position a link remembers; raise DeltaExpiredError.

    `newest` is the change log's newest position: a link beyond it comes
    from a log that has since been reset.
    """
    try:
        packed = base64.urlsafe_b64decode(link.removeprefix(DELTA_PREFIX))
        state = json.loads(packed)
        scope = (state["epoch"], state["mailbox"], state["folder"])
        after = int(state["after"])
        issued = datetime.fromtimestamp(float(state["issued"]), UTC)
    except (ValueError, TypeError, KeyError) as exc:
        raise DeltaExpiredError(_resync("cannot be read")) from exc

    if not link.startswith(DELTA_PREFIX) or scope != (epoch, mailbox.lower(), folder):
        raise DeltaExpiredError(_resync("belongs to another folder or store"))
    if now - issued > DELTA_LINK_LIFETIME or after > newest:
        raise DeltaExpiredError(_resync("has expired"))
    return after


def _common(stored: StoredSubscription) -> dict[str, str]:
    subscription = stored.subscription
    return {
        "subscriptionId": subscription.id,
        "subscriptionExpirationDateTime": graph_time(subscription.expires_at),
        "clientState": stored.client_state,
        "tenantId": LOCAL_TENANT_ID,
    }


def _where(url: str) -> str:
    """Name the host and port of a URL, leaving out its path and query."""
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _bad_url(url: str) -> str:
    return f"{url!r} is not an absolute http(s) URL; give the webhook's full URL"


def _resync(problem: str) -> str:
    return f"the delta link {problem}; run a full resync of the folder"
