"""A fake Microsoft Graph behind httpx.MockTransport, for the Graph adapter.

It answers the mail and subscription calls in the shapes Microsoft
documents, counts every request, and plays the service's side of the
webhooks: the validation handshake, change and lifecycle notifications.
Folders, throttling and lifetime limits follow Graph's published rules.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import parse_qsl, unquote

import httpx

from tests.adapters.mail.fake_graph_store import FakeMailStore, graph_time

GRAPH = "https://graph.microsoft.com/v1.0"
TOKEN = "Bearer fake-graph-token"
# Webhook(url, body) -> (status, content type, text)
Webhook = Callable[[str, bytes], tuple[int, str, str]]


@dataclass
class FakeSubscription:
    """A subscription as the fake keeps it."""

    id: str
    resource: str
    mailbox: str
    folder: str
    change_type: str
    notification_url: str
    lifecycle_url: str | None
    client_state: str
    expires: datetime


@dataclass
class Throttle:
    """Answer 429 until `until`, with a Retry-After of the time left."""

    until: datetime
    answered: int = 0


@dataclass
class FakeGraph:
    """Microsoft Graph's mail and subscriptions, in memory."""

    now: Callable[[], datetime]
    webhook: Webhook | None = None
    store: FakeMailStore = field(default_factory=FakeMailStore)
    requests: list[httpx.Request] = field(default_factory=list)
    subscriptions: dict[str, FakeSubscription] = field(default_factory=dict)
    next_subscription_ids: list[str] = field(default_factory=list)
    validation_queries: list[str] = field(default_factory=list)
    lifetime_cap: timedelta = timedelta(minutes=10_080)
    quota: int = 1000
    conflict_on_duplicate: bool = False
    notifications_lost: bool = False
    throttle: Throttle | None = None
    # Answers to give once, instead of the usual: ((method, path end), answer).
    answers: list[tuple[tuple[str, str], httpx.Response]] = field(default_factory=list)
    latency: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    webhook_answers: list[int] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Graph would."""
        self.requests.append(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            if request.headers.get("Authorization") != TOKEN:
                return error(401, "InvalidAuthenticationToken", "Access token missing")
            throttled = self._throttled() or self._scripted(request)
            if throttled is not None:
                return throttled
            return self._route(request)
        finally:
            self.in_flight -= 1

    def paths(self, method: str = "") -> list[str]:
        """Return the decoded paths requested, oldest first."""
        return [
            "/".join(segments(r))
            for r in self.requests
            if not method or r.method == method
        ]

    def calls(self) -> list[tuple[str, str]]:
        """Return each request's method and decoded path, oldest first."""
        return [(r.method, "/".join(segments(r))) for r in self.requests]

    def deliver(self, mailbox: str, raw: bytes, folder: str = "Inbox") -> str:
        """Store a mail in a folder, notify the subscribers; return its id."""
        item_id = self.store.add(mailbox, folder, raw, self.now())
        self.notify(mailbox, folder, item_id, "created")
        return item_id

    def move(self, mailbox: str, item_id: str, folder: str) -> None:
        """Move a mail; its immutable id stays, as Prefer: IdType asked."""
        source = self.store.move(item_id, folder)
        self.notify(mailbox, source, item_id, "deleted")
        self.notify(mailbox, folder, item_id, "created")

    def notify(self, mailbox: str, folder: str, item_id: str, change: str) -> None:
        """Post a change notification to every subscription on the folder."""
        for sub in list(self.subscriptions.values()):
            watched = (sub.mailbox.lower(), sub.folder.lower())
            wanted = change in sub.change_type.split(",") and sub.expires > self.now()
            if wanted and watched == (mailbox.lower(), folder.lower()):
                self._post(sub.notification_url, self._change(sub, item_id, change))

    def lifecycle(self, subscription_id: str, event: str) -> None:
        """Post a lifecycle notification; subscriptionRemoved ends the subscription."""
        sub = self.subscriptions[subscription_id]
        if event == "subscriptionRemoved":
            del self.subscriptions[subscription_id]
        body = {**self._common(sub), "lifecycleEvent": event}
        if sub.lifecycle_url:
            self._post(sub.lifecycle_url, {"value": [body]})

    def _post(self, url: str, body: dict[str, object]) -> None:
        if self.webhook is not None and not self.notifications_lost:
            status, _, _ = self.webhook(url, json.dumps(body).encode())
            self.webhook_answers.append(status)

    def _common(self, sub: FakeSubscription) -> dict[str, object]:
        return {
            "subscriptionId": sub.id,
            "subscriptionExpirationDateTime": graph_time(sub.expires),
            "clientState": sub.client_state,
            "tenantId": "9a4c7e21-3b6d-4f80-b2e5-71c8d0a9f346",
        }

    def _change(
        self, sub: FakeSubscription, item_id: str, change: str
    ) -> dict[str, object]:
        user = self.store.user_id(sub.mailbox)
        path = f"Users/{user}/Messages/{item_id}"
        data = {
            "@odata.type": "#Microsoft.Graph.Message",
            "@odata.id": path,
            "id": item_id,
        }
        note = {**self._common(sub), "changeType": change, "resource": path}
        return {"value": [{**note, "resourceData": data}]}

    def _throttled(self) -> httpx.Response | None:
        if self.throttle is None or self.now() >= self.throttle.until:
            return None
        self.throttle.answered += 1
        left = max(1, round((self.throttle.until - self.now()).total_seconds()))
        answer = error(429, "ApplicationThrottled", "Application is over its limit.")
        answer.headers["Retry-After"] = str(left)
        return answer

    def _scripted(self, request: httpx.Request) -> httpx.Response | None:
        path = "/".join(segments(request))
        for index, ((method, end), answer) in enumerate(self.answers):
            if request.method == method and path.endswith(end):
                del self.answers[index]
                return answer
        return None

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = segments(request)
        if parts[:2] == ["v1.0", "subscriptions"]:
            return self._subscriptions(request, parts[2:])
        if parts[:2] != ["v1.0", "users"] or len(parts) < 4:
            return error(400, "BadRequest", "Unsupported path.")
        mailbox = self.store.mailbox_of(parts[2])
        rest, method = parts[3:], request.method
        if method == "POST" and rest == ["sendMail"]:
            return self._send(request, mailbox)
        if method == "GET" and rest[0] == "messages" and rest[2:] == ["$value"]:
            return self.store.read(rest[1])
        if method == "GET" and rest[0] == "mailFolders" and len(rest) == 2:
            return httpx.Response(200, json={"id": "AAMkFolder" + rest[1]})
        if method == "GET" and rest[0] == "mailFolders" and rest[2:] == ["messages"]:
            return self.store.find(mailbox, rest[1], query(request).get("$filter", ""))
        if (
            method == "GET"
            and rest[0] == "mailFolders"
            and rest[-1].startswith("delta")
        ):
            return self.store.delta(mailbox, rest[1], query(request), GRAPH)
        return error(400, "BadRequest", "Unsupported request.")

    def _send(self, request: httpx.Request, mailbox: str) -> httpx.Response:
        if request.headers.get("Content-Type", "").split(";")[0] != "text/plain":
            return error(400, "ErrorMimeContentInvalid", "Expected MIME as text/plain.")
        try:
            raw = base64.b64decode(request.content, validate=True)
        except ValueError:
            return error(400, "ErrorMimeContentInvalidBase64String", "Invalid base64.")
        if message_from_bytes(raw, policy=policy.default)["Message-ID"] is None:
            return error(400, "ErrorMimeContentInvalid", "No Message-ID.")
        self.deliver(mailbox, raw, "SentItems")
        return httpx.Response(202)

    def _subscriptions(self, request: httpx.Request, rest: list[str]) -> httpx.Response:
        from tests.adapters.mail.fake_graph_subscriptions import answer_subscriptions

        return answer_subscriptions(self, request, rest)

    def validate(self, url: str) -> bool:
        """Run the validation handshake against an endpoint, as Graph does."""
        if self.webhook is None:
            return True
        token = f"Validation: fake Graph checks reachability {uuid.uuid4()}"
        raw = self.validation_queries.pop(0) if self.validation_queries else None
        if raw is not None:
            token = dict(parse_qsl(raw))["validationToken"]
        separator = "&" if "?" in url else "?"
        raw = raw or httpx.QueryParams({"validationToken": token}).__str__()
        status, content_type, text = self.webhook(url + separator + raw, b"")
        return status == 200 and content_type.startswith("text/plain") and text == token


def segments(request: httpx.Request) -> list[str]:
    """Return the percent-decoded segments of a request's path."""
    raw = request.url.raw_path.split(b"?")[0].decode("ascii")
    return [unquote(part) for part in raw.strip("/").split("/")]


def query(request: httpx.Request) -> dict[str, str]:
    """Return the decoded query parameters of a request."""
    return dict(request.url.params.multi_items())


def error(status: int, code: str, message: str) -> httpx.Response:
    """Return an error in Graph's documented shape."""
    body = {"error": {"code": code, "message": message}}
    return httpx.Response(status, json=body)
