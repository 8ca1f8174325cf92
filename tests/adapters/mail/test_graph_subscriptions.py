"""Subscriptions through GraphMailbox: create, list, renew, delete, refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from adapters.mail.graph import GraphMailbox
from mailroom.errors import PermanentError, SubscriptionNotFoundError
from mailroom.subscriptions import SubscriptionRequest
from tests.adapters.mail.fake_graph import FakeGraph, FakeSubscription
from tests.adapters.mail.graph_pipeline import HELPDESK, Clock

URL = "https://mailroom.example.org/api/notifications?code=k"


def request(
    clock: Clock, minutes: int = 4230, folder: str = "Inbox"
) -> SubscriptionRequest:
    """Return a subscription request for a helpdesk folder."""
    return SubscriptionRequest(
        mailbox=HELPDESK,
        folder=folder,
        notification_url=URL,
        lifecycle_url="https://mailroom.example.org/api/lifecycle?code=k",
        client_state="mr1.n0.mac",
        expires_at=clock.now() + timedelta(minutes=minutes),
    )


def test_create_sends_the_documented_body(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """The POST names resource, both URLs, clientState and the expiry."""
    made = mailbox.create_subscription(request(clock))

    body = json.loads(graph.requests[0].content)
    assert body["resource"] == f"users/{HELPDESK}/mailFolders('Inbox')/messages"
    assert body["lifecycleNotificationUrl"].endswith("/api/lifecycle?code=k")
    assert (body["changeType"], body["clientState"]) == (
        "created,updated",
        "mr1.n0.mac",
    )
    assert (made.mailbox, made.folder) == (HELPDESK, "Inbox")


def test_a_refused_lifetime_is_lowered_and_never_asked_again(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """After one 400 naming 4230 minutes, no request asks for more."""
    graph.lifetime_cap = timedelta(minutes=4230)

    made = mailbox.create_subscription(request(clock, minutes=10_080))
    mailbox.renew_subscription(made.id, clock.now() + timedelta(minutes=10_080))

    assert made.expires_at - clock.now() <= timedelta(minutes=4230)
    assert [r.method for r in graph.requests] == ["POST", "POST", "PATCH"]


def test_list_returns_only_this_installations_subscriptions(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Subscriptions notifying another URL are not listed; pages are followed."""
    for folder in ("Inbox", "SentItems", "Archive"):
        mailbox.create_subscription(request(clock, folder=folder))
    foreign = next(iter(graph.subscriptions.values()))
    graph.subscriptions["x"] = FakeSubscription(
        **{**vars(foreign), "id": "x", "notification_url": "https://other.example/api"}
    )

    listed = mailbox.list_subscriptions()

    assert sorted(s.folder for s in listed) == ["Archive", "Inbox", "SentItems"]


def test_renewing_a_lost_subscription_raises_not_found(
    mailbox: GraphMailbox, clock: Clock
) -> None:
    """A PATCH answered 404 becomes SubscriptionNotFoundError."""
    with pytest.raises(SubscriptionNotFoundError):
        mailbox.renew_subscription("gone", clock.now() + timedelta(days=1))


def test_deleting_a_missing_subscription_is_fine(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A DELETE answered 404 is not an error; it reports nothing deleted."""
    assert mailbox.delete_subscription("gone") is False

    assert graph.paths("DELETE") == ["v1.0/subscriptions/gone"]


def test_deleting_a_subscription_reports_it_deleted(
    mailbox: GraphMailbox, clock: Clock
) -> None:
    """A DELETE that Graph accepts returns True and the id is gone."""
    made = mailbox.create_subscription(request(clock))

    assert mailbox.delete_subscription(made.id) is True
    assert mailbox.list_subscriptions() == []


def test_the_quota_is_named_in_the_error(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A 403 over the 1000-subscription limit says what to clean up."""
    graph.quota = 0

    with pytest.raises(PermanentError, match="limit of 1000 active subscriptions"):
        mailbox.create_subscription(request(clock))


def test_a_conflict_adopts_the_existing_twin(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A 409 renews and returns the app's own subscription on that folder."""
    first = mailbox.create_subscription(request(clock))
    graph.conflict_on_duplicate = True

    again = mailbox.create_subscription(request(clock, minutes=5000))

    assert again.id == first.id and len(graph.subscriptions) == 1
    assert again.expires_at > first.expires_at


def test_a_failed_validation_names_the_public_url(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A 400 for a failed handshake points at runtime.public_url."""
    graph.webhook = lambda url, body: (500, "text/plain", "")

    with pytest.raises(PermanentError, match=r"runtime\.public_url"):
        mailbox.create_subscription(request(clock))


def test_an_http_notification_url_is_refused_before_asking(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Graph posts only to https; the adapter says so without a request."""
    plain = request(clock).model_copy(update={"notification_url": "http://x/api"})

    with pytest.raises(PermanentError, match="https"):
        mailbox.create_subscription(plain)
    assert graph.requests == []
