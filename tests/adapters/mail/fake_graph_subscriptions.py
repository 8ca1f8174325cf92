"""The fake Graph's /subscriptions: create, list, renew, delete."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from tests.adapters.mail.fake_graph_store import graph_time

if TYPE_CHECKING:
    from tests.adapters.mail.fake_graph import FakeGraph, FakeSubscription

RESOURCE = re.compile(r"^/?users/([^/]+)/mailFolders\('([^']+)'\)/messages$", re.I)
IMMUTABLE = 'IdType="ImmutableId"'
GRAPH = "https://graph.microsoft.com/v1.0"
PAGE = 2


def answer_subscriptions(
    graph: FakeGraph, request: httpx.Request, rest: list[str]
) -> httpx.Response:
    """Answer a request under /subscriptions."""
    from tests.adapters.mail.fake_graph import error

    graph.subscriptions = {
        key: sub
        for key, sub in graph.subscriptions.items()
        if sub.expires > graph.now()
    }
    if request.method == "POST" and not rest:
        return create(graph, request)
    if request.method == "GET":
        return listing(graph, request)
    sub = graph.subscriptions.get(rest[0]) if rest else None
    if sub is None:
        return error(404, "ResourceNotFound", "The object was not found.")
    if request.method == "DELETE":
        del graph.subscriptions[sub.id]
        return httpx.Response(204)
    if request.method == "PATCH":
        expires = parse_time(json.loads(request.content)["expirationDateTime"])
        refused = refuse_lifetime(graph, expires)
        if refused is not None:
            return refused
        sub.expires = expires
        return httpx.Response(200, json=shape(sub))
    return error(405, "MethodNotAllowed", "Unsupported.")


def create(graph: FakeGraph, request: httpx.Request) -> httpx.Response:
    """Create a subscription after the endpoints pass the handshake."""
    from tests.adapters.mail.fake_graph import FakeSubscription, error

    body = json.loads(request.content)
    match = RESOURCE.match(body.get("resource", ""))
    if match is None or IMMUTABLE not in request.headers.get("Prefer", ""):
        return error(400, "InvalidRequest", "Unsupported resource or header.")
    expires = parse_time(body["expirationDateTime"])
    refused = refuse_lifetime(graph, expires)
    if refused is not None:
        return refused

    mailbox, folder = graph.store.mailbox_of(match[1]), match[2]
    same = [s for s in graph.subscriptions.values() if s.mailbox == mailbox]
    if len(same) >= graph.quota:
        return error(
            403, "ExtensionError", "The maximum limit of subscriptions is reached."
        )
    twins = [s for s in same if s.resource == body["resource"]]
    if graph.conflict_on_duplicate and twins:
        return error(409, "Conflict", "A subscription with these values exists.")
    urls = [body["notificationUrl"], body.get("lifecycleNotificationUrl")]
    if not all(graph.validate(url) for url in urls if url):
        return error(400, "InvalidRequest", "Subscription validation request failed.")

    sub = FakeSubscription(
        id=graph.next_subscription_ids.pop(0)
        if graph.next_subscription_ids
        else str(uuid.uuid4()),
        resource=body["resource"],
        mailbox=mailbox,
        folder=folder,
        change_type=body["changeType"],
        notification_url=body["notificationUrl"],
        lifecycle_url=body.get("lifecycleNotificationUrl"),
        client_state=body.get("clientState", ""),
        expires=expires,
    )
    graph.subscriptions[sub.id] = sub
    return httpx.Response(201, json=shape(sub))


def listing(graph: FakeGraph, request: httpx.Request) -> httpx.Response:
    """List the subscriptions, PAGE at a time."""
    subs = sorted(graph.subscriptions.values(), key=lambda s: s.id)
    start = int(request.url.params.get("$skiptoken", "0"))
    body: dict[str, Any] = {"value": [shape(s) for s in subs[start : start + PAGE]]}
    if start + PAGE < len(subs):
        link = (
            f"https://graph.microsoft.com/v1.0/subscriptions?$skiptoken={start + PAGE}"
        )
        body["@odata.nextLink"] = link
    return httpx.Response(200, json=body)


def refuse_lifetime(graph: FakeGraph, expires: datetime) -> httpx.Response | None:
    """Refuse an expiry past the cap, naming the cap as Graph does."""
    from tests.adapters.mail.fake_graph import error

    if expires - graph.now() <= graph.lifetime_cap:
        return None
    minutes = int(graph.lifetime_cap.total_seconds() // 60)
    text = f"Subscription expiration can only be {minutes} minutes in the future."
    return error(400, "ExtensionError", text)


def shape(sub: FakeSubscription) -> dict[str, Any]:
    """Return a subscription in the documented response shape."""
    return {
        "@odata.context": f"{GRAPH}/$metadata#subscriptions/$entity",
        "id": sub.id,
        "resource": sub.resource,
        "applicationId": "0b5e9c1d-7a42-4f8e-9d13-6c2a8e4f7b90",
        "changeType": sub.change_type,
        "clientState": sub.client_state,
        "notificationUrl": sub.notification_url,
        "lifecycleNotificationUrl": sub.lifecycle_url,
        "expirationDateTime": graph_time(sub.expires),
        "creatorId": "3f7a2d6c-1e84-4b5a-a9c7-5d0e2b8f6a14",
        "latestSupportedTlsVersion": "v1_2",
        "notificationContentType": "application/json",
    }


def parse_time(text: str) -> datetime:
    """Read an ISO time as Graph sends and accepts it."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
