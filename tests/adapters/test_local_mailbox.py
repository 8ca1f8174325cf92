"""The local mailbox: folders of .eml files with Graph-shaped notifications."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from adapters.mail.local import LocalMailbox
from adapters.mail.local_graph import LOCAL_TENANT_ID
from mailroom.errors import (
    DeltaExpiredError,
    MessageNotFoundError,
    PermanentError,
    RetryableError,
    SubscriptionNotFoundError,
)
from mailroom.models import Address, OutgoingMail
from mailroom.subscriptions import SubscriptionRequest

SUPPORT = "support@example.com"
HOOK = "http://127.0.0.1:7071/api/notifications"
LIFECYCLE = "http://127.0.0.1:7071/api/lifecycle"
RAW = b"From: a@example.org\r\nMessage-ID: <m1@example.org>\r\nSubject: hi\r\n\r\nx\r\n"

Posts = list[tuple[str, bytes]]


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def echo_token(request: httpx.Request) -> httpx.Response:
    """Answer a validation request as a correct webhook does."""
    token = request.url.params["validationToken"]
    return httpx.Response(200, text=token, headers={"content-type": "text/plain"})


@pytest.fixture
def clock() -> Clock:
    """Return a clock stopped at a fixed morning."""
    return Clock()


@pytest.fixture
def posts() -> Posts:
    """Collect what the mailbox posts."""
    return []


@pytest.fixture
def mailbox(tmp_path: Path, clock: Clock, posts: Posts) -> Iterator[LocalMailbox]:
    """Return a mailbox whose webhooks always pass the handshake."""
    http = httpx.Client(transport=httpx.MockTransport(echo_token))
    box = LocalMailbox(
        tmp_path,
        notify=lambda url, body: posts.append((url, body)),
        now=clock,
        http=http,
    )
    yield box
    box.close()


def subscribe(
    box: LocalMailbox, clock: Clock, folder: str = "Inbox", minutes: int = 60
) -> str:
    """Subscribe to a folder of the support mailbox; return the id."""
    request = SubscriptionRequest(
        mailbox=SUPPORT,
        folder=folder,
        notification_url=HOOK,
        lifecycle_url=LIFECYCLE,
        client_state="s3cret",
        expires_at=clock.now + timedelta(minutes=minutes),
    )
    return box.create_subscription(request).id


def outgoing(to: str, message_id: str = "ack-1@mailroom.invalid") -> OutgoingMail:
    """Return an acknowledgement to `to`."""
    return OutgoingMail(
        message_id=message_id,
        to=[Address(email=to, name="Zoë")],
        subject="[HELP-1] Printer",
        text_body="We opened HELP-1.",
        in_reply_to="m1@example.org",
        headers={"X-Mailroom-Id": "k1", "X-Auto-Response-Suppress": "All"},
    )


def test_deliver_posts_a_graph_shaped_notification(
    mailbox: LocalMailbox, clock: Clock, posts: Posts
) -> None:
    """A delivery posts Graph's changeNotificationCollection to the webhook."""
    subscription_id = subscribe(mailbox, clock)
    item_id = mailbox.deliver(SUPPORT, RAW)

    [(url, body)] = posts
    resource = f"Users/{SUPPORT}/Messages/{item_id}"
    assert url == HOOK
    assert json.loads(body) == {
        "value": [
            {
                "subscriptionId": subscription_id,
                "subscriptionExpirationDateTime": "2026-03-02T10:00:00.000Z",
                "changeType": "created",
                "clientState": "s3cret",
                "resource": resource,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Message",
                    "@odata.id": resource,
                    "id": item_id,
                },
                "tenantId": LOCAL_TENANT_ID,
            }
        ]
    }


def test_other_folders_and_mailboxes_send_nothing(
    mailbox: LocalMailbox, clock: Clock, posts: Posts
) -> None:
    """Only the subscribed mailbox and folder are watched."""
    subscribe(mailbox, clock, folder="Inbox")
    mailbox.deliver(SUPPORT, RAW, folder="Archive")
    mailbox.deliver("other@example.com", RAW)
    assert posts == []


def test_expired_subscription_sends_nothing(
    mailbox: LocalMailbox, clock: Clock, posts: Posts
) -> None:
    """Once past its expiry a subscription is silent and no longer listed."""
    subscribe(mailbox, clock, minutes=5)
    clock.now += timedelta(minutes=6)
    mailbox.deliver(SUPPORT, RAW)

    assert posts == []
    assert mailbox.list_subscriptions() == []


def test_lifetime_over_10080_minutes_is_refused(
    mailbox: LocalMailbox, clock: Clock
) -> None:
    """Graph's maximum lifetime for message subscriptions holds here too."""
    with pytest.raises(PermanentError, match="10080"):
        subscribe(mailbox, clock, minutes=10_081)


def test_renew_extends_a_live_subscription(mailbox: LocalMailbox, clock: Clock) -> None:
    """Renewal moves the expiry and keeps the lifecycle URL."""
    subscription_id = subscribe(mailbox, clock, minutes=5)
    renewed = mailbox.renew_subscription(subscription_id, clock.now + timedelta(days=3))

    assert renewed.expires_at == clock.now + timedelta(days=3)
    assert renewed.lifecycle_url == LIFECYCLE
    assert mailbox.list_subscriptions() == [renewed]


def test_renew_of_unknown_or_expired_subscription_fails(
    mailbox: LocalMailbox, clock: Clock
) -> None:
    """Renewing what Graph would have dropped raises SubscriptionNotFoundError."""
    subscription_id = subscribe(mailbox, clock, minutes=5)
    clock.now += timedelta(minutes=6)
    later = clock.now + timedelta(hours=1)

    with pytest.raises(SubscriptionNotFoundError):
        mailbox.renew_subscription(subscription_id, later)
    with pytest.raises(SubscriptionNotFoundError):
        mailbox.renew_subscription("no-such-id", later)


def test_delete_says_whether_a_live_subscription_was_there(
    mailbox: LocalMailbox, clock: Clock
) -> None:
    """True for a live one; False for an unknown id or one already expired."""
    live = subscribe(mailbox, clock, minutes=60)
    expired = subscribe(mailbox, clock, minutes=5, folder="Archive")
    clock.now += timedelta(minutes=6)

    assert mailbox.delete_subscription(live) is True
    assert mailbox.delete_subscription(live) is False
    assert mailbox.delete_subscription(expired) is False
    assert mailbox.delete_subscription("no-such-id") is False


def test_subscription_removed_posts_lifecycle_and_ends_it(
    mailbox: LocalMailbox, clock: Clock, posts: Posts
) -> None:
    """A lifecycle event goes to the lifecycle URL; removal drops the subscription."""
    subscription_id = subscribe(mailbox, clock)
    mailbox.send_lifecycle(subscription_id, "subscriptionRemoved")

    [(url, body)] = posts
    [event] = json.loads(body)["value"]
    assert url == LIFECYCLE and event["lifecycleEvent"] == "subscriptionRemoved"
    assert event["clientState"] == "s3cret"
    assert mailbox.list_subscriptions() == []


def test_failed_notification_keeps_the_mail(tmp_path: Path, clock: Clock) -> None:
    """A webhook that fails is recorded; the mail stays in the mailbox."""

    def broken(url: str, body: bytes) -> None:
        raise RetryableError("the webhook answered 503")

    http = httpx.Client(transport=httpx.MockTransport(echo_token))
    box = LocalMailbox(tmp_path, notify=broken, now=clock, http=http)
    subscribe(box, clock)
    item_id = box.deliver(SUPPORT, RAW)

    assert box.items(SUPPORT, "Inbox") == [item_id]
    assert box.notification_failures() == 1


def test_send_is_idempotent_by_message_id(mailbox: LocalMailbox) -> None:
    """Sending the same Message-ID twice leaves one mail in SentItems."""
    first = mailbox.send(SUPPORT, outgoing("someone@example.org"))
    second = mailbox.send(SUPPORT, outgoing("someone@example.org"))

    assert first == second == "<ack-1@mailroom.invalid>"
    assert len(mailbox.items(SUPPORT, "SentItems")) == 1


def test_sent_mail_carries_threading_and_custom_headers(
    mailbox: LocalMailbox,
) -> None:
    """The sent MIME has From, In-Reply-To, Message-ID and the X- headers."""
    mailbox.send(SUPPORT, outgoing("someone@example.org"))
    [item_id] = mailbox.items(SUPPORT, "SentItems")
    mime = message_from_bytes(mailbox.read(SUPPORT, "SentItems", item_id))

    assert mime["From"] == SUPPORT
    assert mime["In-Reply-To"] == "<m1@example.org>"
    assert mime["Message-ID"] == "<ack-1@mailroom.invalid>"
    assert mime["X-Auto-Response-Suppress"] == "All"


def test_send_refuses_headers_exchange_would_drop(mailbox: LocalMailbox) -> None:
    """Only X- custom headers can be sent, as with Graph."""
    mail = outgoing("someone@example.org").model_copy(
        update={"headers": {"Reply-To": "x@example.org"}}
    )
    with pytest.raises(PermanentError, match="X-"):
        mailbox.send(SUPPORT, mail)


@pytest.mark.parametrize("to", ["ada@", "@example.org", "a@b@example.org"])
def test_send_refuses_a_malformed_address_as_permanent(
    mailbox: LocalMailbox, to: str
) -> None:
    """Every way the stdlib refuses an address is a PermanentError, not a retry."""
    with pytest.raises(PermanentError, match="cannot be sent"):
        mailbox.send(SUPPORT, outgoing(to))


def test_local_recipient_receives_the_mail_once(
    mailbox: LocalMailbox, clock: Clock, posts: Posts
) -> None:
    """A recipient with a local folder gets the mail, notified, only once."""
    mailbox.deliver("user@example.org", RAW)
    subscribe(mailbox, clock, folder="SentItems")
    mailbox.send(SUPPORT, outgoing("User@Example.org"))
    mailbox.send(SUPPORT, outgoing("User@Example.org"))

    assert len(mailbox.items("user@example.org", "Inbox")) == 2
    assert len(posts) == 1


def test_remote_recipient_gets_no_folder(mailbox: LocalMailbox, tmp_path: Path) -> None:
    """Mail to an address without a local folder goes only to SentItems."""
    mailbox.send(SUPPORT, outgoing("far@example.net"))
    assert not (tmp_path / "far@example.net").exists()


def test_move_keeps_the_id_and_notifies_the_new_folder(
    mailbox: LocalMailbox, clock: Clock, posts: Posts
) -> None:
    """A moved item keeps its immutable id and is fetched from its new folder."""
    item_id = mailbox.deliver(SUPPORT, RAW)
    subscribe(mailbox, clock, folder="Archive")
    mailbox.move(SUPPORT, item_id, "Archive")

    assert mailbox.fetch_message(SUPPORT, item_id).item.folder == "Archive"
    assert mailbox.items(SUPPORT, "Inbox") == []
    assert json.loads(posts[0][1])["value"][0]["resourceData"]["id"] == item_id


def test_fetch_reports_thread_and_arrival(mailbox: LocalMailbox, clock: Clock) -> None:
    """A reply shares its thread's conversation id; arrival is the delivery time."""
    first = mailbox.deliver(SUPPORT, RAW)
    reply = b"In-Reply-To: <m1@example.org>\r\nMessage-ID: <m2@x>\r\n\r\ny\r\n"
    second = mailbox.deliver(SUPPORT, reply)

    one, two = (mailbox.fetch_message(SUPPORT, i).item for i in (first, second))
    assert one.conversation_id is not None
    assert one.conversation_id == two.conversation_id
    assert one.received_at == clock.now


@pytest.mark.parametrize("item_id", ["AAMkmissing", "../../etc/passwd", ""])
def test_fetch_of_unknown_item_is_not_found(
    mailbox: LocalMailbox, item_id: str
) -> None:
    """Unknown or hostile ids raise MessageNotFoundError."""
    mailbox.deliver(SUPPORT, RAW)
    with pytest.raises(MessageNotFoundError):
        mailbox.fetch_message(SUPPORT, item_id)


def test_delta_returns_what_arrived_since_the_link(mailbox: LocalMailbox) -> None:
    """A first delta lists the folder; the next lists only new arrivals."""
    first = mailbox.deliver(SUPPORT, RAW)
    page = mailbox.delta(SUPPORT, "Inbox", None)
    second = mailbox.deliver(SUPPORT, RAW)
    mailbox.deliver(SUPPORT, RAW, folder="Archive")

    assert page.item_ids == [first]
    assert mailbox.delta(SUPPORT, "Inbox", page.delta_link).item_ids == [second]


def test_delta_link_that_is_garbage_or_old_needs_a_resync(
    mailbox: LocalMailbox, clock: Clock
) -> None:
    """Unreadable and week-old links raise DeltaExpiredError."""
    link = mailbox.delta(SUPPORT, "Inbox", None).delta_link
    with pytest.raises(DeltaExpiredError):
        mailbox.delta(SUPPORT, "Inbox", "local-delta:not-base64!")
    with pytest.raises(DeltaExpiredError):
        mailbox.delta(SUPPORT, "Archive", link)

    clock.now += timedelta(days=8)
    with pytest.raises(DeltaExpiredError):
        mailbox.delta(SUPPORT, "Inbox", link)


Answer = Callable[[str], tuple[int, str, str]]


@pytest.fixture
def webhook() -> Iterator[Callable[[Answer], str]]:
    """Start webhooks on 127.0.0.1 that answer with `answer(token)`."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> str:
        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                status, content_type, text = answer(query["validationToken"][0])
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=server.serve_forever, args=(0.05,)).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/notifications"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def request_for(url: str, clock: Clock) -> SubscriptionRequest:
    """Return a one-hour subscription request for `url`."""
    return SubscriptionRequest(
        mailbox=SUPPORT,
        folder="Inbox",
        notification_url=url,
        lifecycle_url="",
        client_state="s3cret",
        expires_at=clock.now + timedelta(hours=1),
    )


def test_handshake_passes_when_the_webhook_echoes_the_token(
    tmp_path: Path, clock: Clock, webhook: Callable[[Answer], str]
) -> None:
    """A 200 text/plain echo of the decoded token (spaces and all) passes."""
    url = webhook(lambda token: (200, "text/plain; charset=utf-8", token))
    box = LocalMailbox(tmp_path, now=clock)

    assert box.create_subscription(request_for(url, clock)).notification_url == url
    box.close()


@pytest.mark.parametrize(
    "answer",
    [
        lambda token: (200, "text/plain", "wrong"),
        lambda token: (200, "application/json", token),
        lambda token: (500, "text/plain", token),
    ],
)
def test_handshake_fails_on_a_wrong_answer(
    tmp_path: Path, clock: Clock, webhook: Callable[[Answer], str], answer: Answer
) -> None:
    """A wrong body, type or status refuses the subscription."""
    box = LocalMailbox(tmp_path, now=clock)

    with pytest.raises(PermanentError, match="validation"):
        box.create_subscription(request_for(webhook(answer), clock))
    assert box.list_subscriptions() == []
    box.close()


def test_handshake_fails_when_nothing_listens(tmp_path: Path, clock: Clock) -> None:
    """An unreachable webhook refuses the subscription."""
    box = LocalMailbox(tmp_path, now=clock)
    with pytest.raises(PermanentError, match="did not answer"):
        box.create_subscription(request_for("http://127.0.0.1:9/hook", clock))
    box.close()


def test_default_notify_posts_json_and_records_a_5xx(
    tmp_path: Path, clock: Clock
) -> None:
    """Without a notify callable the mailbox posts with httpx; a 503 is kept."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if "validationToken" in request.url.params:
            return echo_token(request)
        seen.append(request)
        return httpx.Response(503)

    box = LocalMailbox(
        tmp_path, now=clock, http=httpx.Client(transport=httpx.MockTransport(handle))
    )
    subscribe(box, clock)
    box.deliver(SUPPORT, RAW)

    assert seen[0].headers["content-type"] == "application/json"
    assert box.notification_failures() == 1
