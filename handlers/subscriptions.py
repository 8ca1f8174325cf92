"""Keep change subscriptions alive, and catch up on what they missed."""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.ledger import Ledger, SubscriptionRow
from handlers.observe import unit_of_work
from handlers.services import Services
from mailroom.client_state import issue_client_state
from mailroom.errors import DeltaExpiredError, SubscriptionNotFoundError
from mailroom.messages import LifecycleEvent, MailChange
from mailroom.subscriptions import SubscriptionRequest, plan_subscriptions

logger = logging.getLogger(__name__)


def renew_subscriptions(services: Services) -> list[MailChange]:
    """Create missing, renew expiring and drop stale subscriptions."""
    config = services.config
    wanted = [
        (box.address, folder) for box in config.mailboxes for folder in box.folders
    ]
    renew_before = timedelta(minutes=config.mail.renew_before_minutes)
    with unit_of_work(logger, "subscriptions.reconcile") as unit:
        existing = services.mail.list_subscriptions()
        by_id = {sub.id: sub for sub in existing}
        plan = plan_subscriptions(
            wanted, existing, notification_url(services), renew_before, services.now()
        )
        unit.note(create=len(plan.create), renew=len(plan.renew))
        unit.note(delete=len(plan.delete), foreign=len(plan.foreign))
        if plan.foreign:
            # Another deployment's, or this one's from before public_url
            # changed: `mailroom subscriptions delete` removes them.
            logger.warning(
                "subscriptions.foreign_endpoint", extra={"count": len(plan.foreign)}
            )

        for subscription_id in plan.delete:
            services.mail.delete_subscription(subscription_id)

        changes: list[MailChange] = []
        for subscription_id in plan.renew:
            sub = by_id[subscription_id]
            if not renew(subscription_id, services):
                changes += subscribe(sub.mailbox, sub.folder, services)
        for mailbox, folder in plan.create:
            changes += subscribe(mailbox, folder, services)
        return changes


def handle_lifecycle_event(
    event: LifecycleEvent, services: Services
) -> list[MailChange]:
    """Act on a lifecycle event: reauthorize, recreate, or catch up."""
    ledger = Ledger(services.store)
    with unit_of_work(
        logger, "subscriptions.lifecycle", lifecycle_event=event.event
    ) as unit:
        row = ledger.subscription(event.subscription_id)
        if row is None:
            unit.outcome = "unknown-subscription"
            return []

        if event.event == "reauthorizationRequired":
            if renew(event.subscription_id, services):
                return []
            return subscribe(row.mailbox, row.folder, services)
        if event.event == "subscriptionRemoved":
            # Graph has dropped it; deleting makes sure no twin stays behind.
            services.mail.delete_subscription(event.subscription_id)
            return subscribe(row.mailbox, row.folder, services)
        return catch_up(row.mailbox, row.folder, services)


def run_catch_up(services: Services) -> list[MailChange]:
    """Run a delta query on every watched folder: the safety net."""
    with unit_of_work(logger, "subscriptions.catch_up") as unit:
        changes: list[MailChange] = []
        for box in services.config.mailboxes:
            for folder in box.folders:
                changes += catch_up(box.address, folder, services)
        unit.note(found=len(changes))
        return changes


def renew(subscription_id: str, services: Services) -> bool:
    """Extend a subscription; return False if the mail system lost it."""
    expires = services.now() + timedelta(
        minutes=services.config.mail.subscription_minutes
    )
    try:
        services.mail.renew_subscription(subscription_id, expires)
    except SubscriptionNotFoundError:
        return False
    return True


def subscribe(mailbox: str, folder: str, services: Services) -> list[MailChange]:
    """Create a subscription for one folder, then catch up on the folder."""
    config = services.config
    request = SubscriptionRequest(
        mailbox=mailbox,
        folder=folder,
        notification_url=notification_url(services),
        lifecycle_url=function_url(services, "lifecycle"),
        client_state=issue_client_state(
            config.mail.client_state_secret.get_secret_value(), services.new_nonce()
        ),
        expires_at=services.now() + timedelta(minutes=config.mail.subscription_minutes),
    )
    created = services.mail.create_subscription(request)
    Ledger(services.store).save_subscription(
        created.id, SubscriptionRow(mailbox=mailbox, folder=folder)
    )
    return catch_up(mailbox, folder, services)


def catch_up(mailbox: str, folder: str, services: Services) -> list[MailChange]:
    """Return the folder's items changed since the stored delta link."""
    ledger = Ledger(services.store)
    link = ledger.delta_link(mailbox, folder)
    try:
        page = services.mail.delta(mailbox, folder, link)
    except DeltaExpiredError:
        logger.warning("subscriptions.delta_expired", extra={"folder": folder})
        page = services.mail.delta(mailbox, folder, None)
    ledger.save_delta_link(mailbox, folder, page.delta_link)

    first_sync = link is None and services.config.mail.initial_sync == "skip_existing"
    if first_sync:
        return []
    return [
        MailChange(mailbox=mailbox, folder=folder, item_id=item, source="catch-up")
        for item in page.item_ids
    ]


def notification_url(services: Services) -> str:
    """Return the URL Graph posts change notifications to."""
    return function_url(services, "notifications")


def function_url(services: Services, route: str) -> str:
    """Return the public URL of an HTTP function, with its key if set."""
    config = services.config
    url = f"{config.runtime.public_url.rstrip('/')}/api/{route}"
    if config.mail.function_key is not None:
        url += f"?code={config.mail.function_key.get_secret_value()}"
    return url
