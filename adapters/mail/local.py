"""The local mailbox: Exchange's part, on one machine, as folders of .eml files.

Mail lives at `<root>/<address>/<folder>/<item_id>.eml`. Subscriptions keep
Graph's rules: a validation handshake on creation, a lifetime of at most
10,080 minutes, the client state in every notification, nothing sent once
expired. Each arrival in a watched folder is posted to the subscriber in the
shape Graph uses.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import httpx

from adapters.mail import local_graph as wire
from adapters.mail.local_mime import angle, build_mime, conversation_id
from adapters.mail.local_registry import MailboxRegistry, StoredSubscription
from adapters.mail.local_store import MailFolders, new_item_id
from mailroom.errors import (
    MessageNotFoundError,
    PermanentError,
    SubscriptionNotFoundError,
)
from mailroom.models import FetchedMail, MailboxItem, OutgoingMail
from mailroom.subscriptions import DeltaPage, Subscription, SubscriptionRequest

logger = logging.getLogger(__name__)

INBOX = "Inbox"
SENT_ITEMS = "SentItems"
REGISTRY_FILE = ".mailbox.db"
MAX_LIFETIME = timedelta(minutes=10_080)

Notify = Callable[[str, bytes], None]
LifecycleEventName = Literal["reauthorizationRequired", "subscriptionRemoved", "missed"]


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class LocalMailbox:
    """Serve the MailGateway port from folders of .eml files under `root`."""

    def __init__(
        self,
        root: Path,
        notify: Notify | None = None,
        now: Callable[[], datetime] = utc_now,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self.root = Path(root)
        self._folders = MailFolders(self.root)
        self._registry = MailboxRegistry(self.root / REGISTRY_FILE)
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client()
        self._notify = notify if notify is not None else self._post
        self._now = now

    def deliver(self, address: str, raw: bytes, folder: str = INBOX) -> str:
        """Store a mail in a folder, notify the subscribers; return its id."""
        item_id = new_item_id()
        self._add(address, folder, item_id, raw)
        return item_id

    def move(self, address: str, item_id: str, folder: str) -> None:
        """Move an item to another folder; its id stays the same."""
        source = self._folders.move(address, item_id, folder)
        if source == folder:
            return

        self._registry.log_change(address, folder, item_id)
        self._notify_folder(address, source, item_id, "deleted")
        self._notify_folder(address, folder, item_id, "created")

    def renotify(self, address: str, folder: str, item_id: str) -> int:
        """Send an item's "created" notification again, as Graph may.

        Returns how many subscriptions were notified.
        """
        return self._notify_folder(address, folder, item_id, "created")

    def items(self, address: str, folder: str) -> list[str]:
        """List the item ids of a folder, oldest first."""
        return self._folders.items(address, folder)

    def read(self, address: str, folder: str, item_id: str) -> bytes:
        """Return an item's raw MIME; raise MessageNotFoundError."""
        return self._folders.read(address, folder, item_id)

    def fetch_message(self, mailbox: str, item_id: str) -> FetchedMail:
        """Fetch one mail by its immutable id; raise MessageNotFoundError."""
        folder = self._locate(mailbox, item_id)
        raw = self._folders.read(mailbox, folder, item_id)
        item = MailboxItem(
            mailbox=mailbox,
            folder=folder,
            item_id=item_id,
            conversation_id=conversation_id(raw),
            received_at=self._folders.received_at(mailbox, folder, item_id),
        )
        return FetchedMail(item=item, raw=raw)

    def send(self, mailbox: str, mail: OutgoingMail) -> str:
        """Put `mail` in SentItems and in local recipients' inboxes, once."""
        message_id = angle(mail.message_id)
        sent_id = _derived_id(mailbox, message_id, SENT_ITEMS)
        folder = self._folders.locate(mailbox, sent_id)
        if folder is None:
            raw = build_mime(mailbox, mail, self._now())
            self._add(mailbox, SENT_ITEMS, sent_id, raw)
        else:
            raw = self._folders.read(mailbox, folder, sent_id)

        # Ids derived from the Message-ID make a retry after a crash finish
        # the deliveries it missed without doubling those it made.
        local = self._local_recipients(mail)
        for address in local:
            self._add(address, INBOX, _derived_id(address, message_id, INBOX), raw)
        logger.info("mailbox.sent", extra={"item_id": sent_id, "local": len(local)})
        return message_id

    def list_subscriptions(self) -> list[Subscription]:
        """Return the unexpired subscriptions."""
        return [stored.subscription for stored in self._registry.active(self._now())]

    def create_subscription(self, request: SubscriptionRequest) -> Subscription:
        """Create a subscription after the endpoints pass the handshake."""
        expires_at = self._checked_expiry(request.expires_at)
        self._folders.ensure(request.mailbox, request.folder)
        urls = [request.notification_url, request.lifecycle_url]
        for url in filter(None, urls):
            wire.check_endpoint_url(url)
            wire.validate_endpoint(self._http, url)

        subscription = Subscription(
            id=str(uuid.uuid4()),
            mailbox=request.mailbox,
            folder=request.folder,
            resource=wire.subscription_resource(request.mailbox, request.folder),
            notification_url=request.notification_url,
            lifecycle_url=request.lifecycle_url or None,
            expires_at=expires_at,
            change_type=request.change_type,
        )
        self._registry.add(subscription, request.client_state)
        logger.info("mailbox.subscribed", extra={"subscription_id": subscription.id})
        return subscription

    def renew_subscription(
        self, subscription_id: str, expires_at: datetime
    ) -> Subscription:
        """Extend a subscription; raise SubscriptionNotFoundError if gone."""
        stored = self._registry.get(subscription_id)
        if stored is None or stored.subscription.expires_at <= self._now():
            raise _subscription_gone(subscription_id)

        expires_at = self._checked_expiry(expires_at)
        if not self._registry.extend(subscription_id, expires_at, self._now()):
            raise _subscription_gone(subscription_id)
        return stored.subscription.model_copy(update={"expires_at": expires_at})

    def delete_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription; return False if none was live under the id."""
        stored = self._registry.get(subscription_id)
        self._registry.remove(subscription_id)
        # An expired one counts as missing, as Graph has dropped it by then.
        return stored is not None and stored.subscription.expires_at > self._now()

    def send_lifecycle(self, subscription_id: str, event: LifecycleEventName) -> None:
        """Post a lifecycle event, as Graph does; `subscriptionRemoved` ends it."""
        stored = self._registry.get(subscription_id)
        if stored is None:
            raise _subscription_gone(subscription_id)

        if event == "subscriptionRemoved":
            self._registry.remove(subscription_id)
        url = stored.subscription.lifecycle_url
        if url is not None:
            body = wire.lifecycle_notification(stored, event)
            self._post_safely(stored, url, body, None)

    def delta(self, mailbox: str, folder: str, delta_link: str | None) -> DeltaPage:
        """Return the items that arrived in a folder since `delta_link`."""
        epoch = self._registry.epoch()
        newest = self._registry.last_change()
        now = self._now()
        if delta_link is None:
            item_ids = self._folders.items(mailbox, folder)
        else:
            after = wire.decode_delta_link(
                delta_link, epoch, mailbox, folder, now, newest
            )
            present = set(self._folders.items(mailbox, folder))
            arrived = self._registry.changes_between(mailbox, folder, after, newest)
            item_ids = [item_id for item_id in arrived if item_id in present]

        link = wire.encode_delta_link(epoch, mailbox, folder, newest, now)
        return DeltaPage(item_ids=item_ids, delta_link=link)

    def notification_failures(self) -> int:
        """Count the notifications that could not be posted."""
        return self._registry.failure_count()

    def close(self) -> None:
        """Close the registry and the HTTP client this object opened."""
        self._registry.close()
        if self._own_http:
            self._http.close()

    def _add(self, address: str, folder: str, item_id: str, raw: bytes) -> None:
        if not self._folders.add(address, folder, item_id, raw, self._now()):
            return

        self._registry.log_change(address, folder, item_id)
        notified = self._notify_folder(address, folder, item_id, "created")
        logger.info(
            "mailbox.stored",
            extra={"item_id": item_id, "folder": folder, "notified": notified},
        )

    def _notify_folder(
        self, address: str, folder: str, item_id: str, change: str
    ) -> int:
        posted = 0
        for stored in self._registry.active(self._now()):
            if _covers(stored.subscription, address, folder, change):
                body = wire.change_notification(stored, address, item_id, change)
                url = stored.subscription.notification_url
                posted += self._post_safely(stored, url, body, item_id)
        return posted

    def _post_safely(
        self, stored: StoredSubscription, url: str, body: bytes, item_id: str | None
    ) -> bool:
        try:
            self._notify(url, body)
        except Exception as exc:  # a broken webhook must never cost stored mail
            reason = f"{type(exc).__name__}: {exc}"
            self._registry.record_failure(stored.subscription.id, item_id, reason)
            logger.warning(
                "mailbox.notify_failed",
                extra={
                    "subscription_id": stored.subscription.id,
                    "item_id": item_id,
                    "error": type(exc).__name__,
                },
            )
            return False
        return True

    def _post(self, url: str, body: bytes) -> None:
        wire.post_notification(self._http, url, body)

    def _locate(self, mailbox: str, item_id: str) -> str:
        folder = None
        if self._folders.has_mailbox(mailbox):
            folder = self._folders.locate(mailbox, item_id)
        if folder is None:
            raise MessageNotFoundError(
                f"item {item_id} is not in the local mailbox; it was deleted "
                "or the id belongs to another mailbox"
            )
        return folder

    def _local_recipients(self, mail: OutgoingMail) -> list[str]:
        addresses = [address.email for address in [*mail.to, *mail.cc]]
        unique = dict.fromkeys(address.lower() for address in addresses)
        return [address for address in unique if self._folders.has_mailbox(address)]

    def _checked_expiry(self, expires_at: datetime) -> datetime:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        now = self._now()
        if expires_at <= now:
            raise PermanentError(
                "a subscription cannot expire in the past; ask for a time ahead"
            )
        if expires_at - now > MAX_LIFETIME:
            raise PermanentError(
                "a subscription on messages may last at most 10080 minutes; "
                "ask for an earlier expiry and renew it before then"
            )
        return expires_at.astimezone(UTC)


def _covers(sub: Subscription, address: str, folder: str, change: str) -> bool:
    """Tell whether a subscription asks for this change in this folder."""
    same_mailbox = sub.mailbox.lower() == address.lower()
    wanted = change in sub.change_type.split(",")
    return same_mailbox and sub.folder in (folder, "") and wanted


def _derived_id(address: str, message_id: str, folder: str) -> str:
    seed = f"{address.lower()}\n{folder}\n{message_id}".encode()
    return "AAMk" + hashlib.sha256(seed).hexdigest()[:32]


def _subscription_gone(subscription_id: str) -> SubscriptionNotFoundError:
    return SubscriptionNotFoundError(
        f"subscription {subscription_id} does not exist or has expired; "
        "create a new one"
    )
