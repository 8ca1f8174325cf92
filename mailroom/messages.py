"""What travels on the queues between stages: references, never payloads."""

from __future__ import annotations

from typing import Literal

from mailroom.models import Model

ChangeSource = Literal["notification", "catch-up", "deliver-command"]


class MailChange(Model):
    """A mail that appeared or changed in a watched folder."""

    subscription_id: str | None = None
    mailbox: str
    folder: str | None = None
    item_id: str
    change_type: Literal["created", "updated", "deleted"] = "created"
    source: ChangeSource = "notification"


class LifecycleEvent(Model):
    """A subscription lifecycle event from the mail system."""

    subscription_id: str
    event: Literal["reauthorizationRequired", "subscriptionRemoved", "missed"]


DeliveryAction = Literal["create", "comment", "linked_new", "note", "event"]


class DeliveryRequest(Model):
    """One mail's work for one tool."""

    mail_key: str
    tool: str
    action: DeliveryAction
    ticket_key: str | None = None
    event: str | None = None


class AckRequest(Model):
    """Ask for the acknowledgement of a mail once its tickets exist."""

    mail_key: str
