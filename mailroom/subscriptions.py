"""Change subscriptions and delta pages, in Mailroom's own terms."""

from __future__ import annotations

from datetime import datetime

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
