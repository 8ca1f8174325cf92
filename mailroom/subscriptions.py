"""Change subscriptions and delta pages, in Mailroom's own terms."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from pydantic import Field

from mailroom.models import Model


class SubscriptionRequest(Model):
    """A subscription Mailroom wants for one folder of one mailbox."""

    mailbox: str
    folder: str
    notification_url: str
    lifecycle_url: str
    client_state: str = Field(repr=False, max_length=128)
    expires_at: datetime
    change_type: str = "created,updated"


class Subscription(Model):
    """A subscription as the mail system reports it."""

    id: str
    mailbox: str
    folder: str
    resource: str
    notification_url: str
    lifecycle_url: str | None = None
    expires_at: datetime
    change_type: str = "created,updated"


class DeltaPage(Model):
    """Items found by a delta query and the link to ask from next time."""

    item_ids: list[str] = []
    delta_link: str


class SubscriptionPlan(Model):
    """What to change so that the subscriptions match the configuration.

    `foreign` lists subscriptions of another endpoint (another deployment
    of the same app registration, or a local host on another port): they
    are left alone, neither counted nor deleted.
    """

    create: list[tuple[str, str]] = []
    renew: list[str] = []
    delete: list[str] = []
    foreign: list[str] = []


def plan_subscriptions(
    wanted: list[tuple[str, str]],
    existing: list[Subscription],
    notification_url: str,
    renew_before: timedelta,
    now: datetime,
) -> SubscriptionPlan:
    """Decide which subscriptions to create, renew and delete.

    `wanted` holds (mailbox, folder) pairs. Only subscriptions of this
    endpoint (`notification_url` but for its query, which holds the
    function key) are Mailroom's to manage. One of them that holds an old
    key, has expired, duplicates another or watches nothing wanted is
    deleted; one that expires within `renew_before` is renewed.
    """
    keep: dict[tuple[str, str], Subscription] = {}
    delete: list[str] = []
    foreign: list[str] = []
    wanted_keys = {_pair(mailbox, folder) for mailbox, folder in wanted}
    for sub in sorted(existing, key=lambda s: s.expires_at, reverse=True):
        if endpoint(sub.notification_url) != endpoint(notification_url):
            foreign.append(sub.id)
            continue
        pair = _pair(sub.mailbox, sub.folder)
        stale = sub.notification_url != notification_url or sub.expires_at <= now
        if stale or pair not in wanted_keys or pair in keep:
            delete.append(sub.id)
        else:
            keep[pair] = sub

    renew = [s.id for s in keep.values() if s.expires_at - now <= renew_before]
    create = [(m, f) for m, f in wanted if _pair(m, f) not in keep]
    return SubscriptionPlan(create=create, renew=renew, delete=delete, foreign=foreign)


def endpoint(url: str) -> tuple[str, str, str]:
    """Return the scheme, host and path of a notification URL, in one case."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def _pair(mailbox: str, folder: str) -> tuple[str, str]:
    """Return a case-insensitive (mailbox, folder) key."""
    return mailbox.lower(), folder.lower()
