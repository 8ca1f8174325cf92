"""Change subscriptions on mail folders: create, list, renew, delete.

Graph caps a message subscription's lifetime (10,080 minutes now, 4,230 in
older documentation) and refuses a longer one with 400. `Lifetime` keeps the
cap: lowered on such a refusal, never asked beyond again by this process.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from kiota_abstractions.method import Method

from adapters.mail.graph_errors import GraphFailure, GraphRefusedError
from adapters.mail.graph_session import GraphSession, json_request
from mailroom.errors import PermanentError, SubscriptionNotFoundError
from mailroom.subscriptions import Subscription, SubscriptionRequest

logger = logging.getLogger(__name__)

APP = ""
RESOURCE = re.compile(r"^/?users/([^/]+)/mailFolders\('([^']+)'\)/messages$", re.I)
QUOTA = re.compile(r"limit|quota|maximum|exceed", re.I)
MINUTES = re.compile(r"(\d{2,6})\s*minutes", re.I)
OLD_CAP = timedelta(minutes=4230)
FLOOR = timedelta(minutes=45)
MAX_PAGES = 100


class Lifetime:
    """The longest subscription lifetime Graph has not refused."""

    def __init__(self, cap: timedelta = timedelta(minutes=10_080)) -> None:
        self.cap = cap

    def clamp(self, expires_at: datetime, now: datetime) -> datetime:
        """Return `expires_at`, or the latest expiry the cap allows."""
        return min(expires_at, now + self.cap - timedelta(minutes=1))

    def lower(self, failure: GraphFailure) -> bool:
        """Lower the cap after a refusal of the expiry; False if not one."""
        if failure.status != 400 or "expiration" not in failure.text.lower():
            return False
        named = MINUTES.search(failure.text)
        if named is not None:
            cap = timedelta(minutes=int(named[1]))
        else:
            cap = OLD_CAP if self.cap > OLD_CAP else self.cap / 2
        self.cap = max(FLOOR, min(cap, self.cap - timedelta(minutes=1)))
        logger.warning(
            "graph.lifetime_lowered", extra={"minutes": self.cap.total_seconds() // 60}
        )
        return True


def resource(mailbox: str, folder: str) -> str:
    """Return the resource path of a folder's messages."""
    return f"users/{mailbox}/mailFolders('{folder}')/messages"


async def create(
    session: GraphSession, request: SubscriptionRequest, lifetime: Lifetime
) -> Subscription:
    """Create a subscription, lowering the lifetime once if Graph refuses it."""
    if not request.notification_url.startswith("https://"):
        raise PermanentError(
            "Graph posts notifications to https URLs only; set runtime.public_url "
            "to the app's public https address"
        )
    for _ in range(2):
        expires = lifetime.clamp(request.expires_at, session.now())
        body = {
            "changeType": request.change_type,
            "notificationUrl": request.notification_url,
            "lifecycleNotificationUrl": request.lifecycle_url or None,
            "resource": resource(request.mailbox, request.folder),
            "expirationDateTime": graph_time(expires),
            "clientState": request.client_state,
        }
        info = json_request(Method.POST, session.client.subscriptions, body)
        try:
            made = await session.call(
                request.mailbox,
                "create a subscription",
                partial(session.send_json, info),
                idempotent=False,
            )
        except GraphRefusedError as exc:
            if lifetime.lower(exc.failure):
                continue
            return await _after_refusal(session, request, lifetime, exc)
        return _ours(made, request.mailbox, request.folder)
    raise PermanentError(
        "Graph refused two subscription lifetimes in a row; lower "
        "mail.subscription_minutes"
    )


async def list_ours(session: GraphSession, url_prefix: str) -> list[Subscription]:
    """Return the app's subscriptions whose notification URL starts with ours."""
    found: list[Subscription] = []
    builder = session.client.subscriptions
    for _ in range(MAX_PAGES):
        info = json_request(Method.GET, builder)
        page = await session.call(
            APP, "list subscriptions", partial(session.send_json, info)
        )
        for item in page.get("value") or []:
            match = RESOURCE.match(str(item.get("resource") or ""))
            url = str(item.get("notificationUrl") or "")
            if match is not None and url.startswith(url_prefix):
                found.append(_ours(item, match[1], match[2]))
        link = page.get("@odata.nextLink")
        if not isinstance(link, str):
            break
        builder = session.client.subscriptions.with_url(link)
    return found


async def renew(
    session: GraphSession,
    subscription_id: str,
    expires_at: datetime,
    lifetime: Lifetime,
) -> Subscription:
    """Extend a subscription; raise SubscriptionNotFoundError if Graph lost it."""
    item = session.client.subscriptions.by_subscription_id(subscription_id)
    for _ in range(2):
        expires = lifetime.clamp(expires_at, session.now())
        info = json_request(
            Method.PATCH, item, {"expirationDateTime": graph_time(expires)}
        )
        try:
            made = await session.call(
                APP, "renew a subscription", partial(session.send_json, info)
            )
        except GraphRefusedError as exc:
            if exc.failure.status == 404:
                raise SubscriptionNotFoundError(
                    f"subscription {subscription_id} no longer exists in Graph; "
                    "create a new one"
                ) from exc
            if lifetime.lower(exc.failure):
                continue
            raise
        match = RESOURCE.match(str(made.get("resource") or ""))
        if match is None:
            raise PermanentError(
                f"Graph renewed subscription {subscription_id} but described it "
                "in an unknown shape; recreate it with mailroom subscriptions sync"
            )
        return _ours(made, match[1], match[2])
    raise PermanentError(
        "Graph refused two renewal lifetimes in a row; lower mail.subscription_minutes"
    )


async def delete(session: GraphSession, subscription_id: str) -> bool:
    """Delete a subscription; return False if Graph answers that it has none."""
    item = session.client.subscriptions.by_subscription_id(subscription_id)
    info = json_request(Method.DELETE, item)
    try:
        await session.call(
            APP, "delete a subscription", partial(session.send_empty, info)
        )
    except GraphRefusedError as exc:
        if exc.failure.status != 404:
            raise
        return False
    return True


async def _after_refusal(
    session: GraphSession,
    request: SubscriptionRequest,
    lifetime: Lifetime,
    exc: GraphRefusedError,
) -> Subscription:
    """Adopt a twin on 409; explain a quota or a failed validation."""
    failure = exc.failure
    if failure.status == 409:
        url_prefix = request.notification_url.split("?")[0]
        for sub in await list_ours(session, url_prefix):
            same = (sub.mailbox.lower(), sub.folder.lower())
            if same == (request.mailbox.lower(), request.folder.lower()):
                logger.info("graph.subscription_adopted", extra={"id": sub.id})
                return await renew(session, sub.id, request.expires_at, lifetime)
        raise PermanentError(
            "Graph says a subscription like this exists (409), yet none of this "
            "app's matches; delete stale ones with mailroom subscriptions delete"
        ) from exc
    if failure.status == 403 and QUOTA.search(failure.text):
        raise PermanentError(
            "the mailbox has reached Exchange's limit of 1000 active subscriptions "
            "across all apps; delete unused ones (mailroom subscriptions list)"
        ) from exc
    if failure.status == 400 and "validation" in failure.text.lower():
        raise PermanentError(
            "Graph could not validate the notification or lifecycle URL; check "
            "runtime.public_url and mail.function_key, and that the app echoes "
            "validationToken within 10 s"
        ) from exc
    raise exc


def _ours(made: dict[str, Any], mailbox: str, folder: str) -> Subscription:
    """Translate Graph's subscription into Mailroom's."""
    expires = made.get("expirationDateTime")
    if not made.get("id") or not isinstance(expires, str):
        raise PermanentError(
            "Graph answered a subscription request without an id or expiry; "
            "run mailroom subscriptions sync again"
        )
    return Subscription(
        id=str(made["id"]),
        mailbox=mailbox,
        folder=folder,
        resource=str(made.get("resource") or resource(mailbox, folder)),
        notification_url=str(made.get("notificationUrl") or ""),
        lifecycle_url=made.get("lifecycleNotificationUrl") or None,
        expires_at=datetime.fromisoformat(expires),
        change_type=str(made.get("changeType") or "created,updated"),
    )


def graph_time(moment: datetime) -> str:
    """Format a time as Graph's examples do: UTC, a trailing Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
