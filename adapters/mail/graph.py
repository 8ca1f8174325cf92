"""Exchange Online through Microsoft Graph, behind the MailGateway port.

The port is synchronous; the msgraph SDK is async. GraphMailbox runs one
event loop in a thread of its own and builds the SDK client there on first
use, so importing this module costs nothing: msgraph loads with the first
call, in the stages that make one, never in the webhook.

Every request asks for immutable ids (see graph_client.PreferImmutableIds)
and goes through GraphSession.call, which keeps Graph's limits: at most
`max_concurrency` requests at once per mailbox, bounded throttling waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.mail.graph_loop import LoopThread
from adapters.mail.local_mime import angle
from mailroom.config import AttachmentConfig, GraphConfig
from mailroom.models import FetchedMail, OutgoingMail
from mailroom.ports import BlobStore
from mailroom.subscriptions import DeltaPage, Subscription, SubscriptionRequest

if TYPE_CHECKING:
    import httpx
    from azure.core.credentials_async import AsyncTokenCredential

    from adapters.mail.graph_check import Probe
    from adapters.mail.graph_session import GraphSession
    from adapters.mail.graph_subscriptions import Lifetime

logger = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[["GraphSession"], Coroutine[Any, Any, T]]

# Exchange Online accepts messages of up to 150 MB.
MAX_MESSAGE_BYTES = 150 * 1024 * 1024
# Mail up to this size is read into memory; larger mail is streamed.
MEMORY_BYTES = 8 * 1024 * 1024
# A whole port call, its bounded retries included, inside a trigger's time.
CALL_DEADLINE = 240.0
SENT_MEMORY = 10_000


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class GraphMailbox:
    """Serve the MailGateway port from Exchange Online mailboxes."""

    def __init__(
        self,
        config: GraphConfig,
        public_url: str,
        *,
        credential: AsyncTokenCredential | None = None,
        http: Callable[[], httpx.AsyncClient] | None = None,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        blobs: BlobStore | None = None,
        limits: AttachmentConfig | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        memory_bytes: int = MEMORY_BYTES,
    ) -> None:
        self._config = config
        self._url_prefix = public_url.rstrip("/") + "/api/notifications"
        self._credential = credential
        self._http = http
        self._now = now
        self._sleep = sleep
        self._blobs = blobs
        self._limits = limits or AttachmentConfig()
        self._max_bytes = max_message_bytes
        self._memory_bytes = memory_bytes
        self._loop = LoopThread("graph-mailbox")
        self._session: GraphSession | None = None
        self._lifetime: Lifetime | None = None
        self._sent: OrderedDict[tuple[str, str], bool] = OrderedDict()

    def fetch_message(self, mailbox: str, item_id: str) -> FetchedMail:
        """Fetch one mail by its immutable id; raise MessageNotFoundError.

        One GET of the MIME. A mail over `memory_bytes` goes to blob
        storage whole as it arrives (when the mailbox was given `blobs`), and
        what is returned is its skeleton. The item's folder is left empty:
        the caller knows it from the change that named the mail.
        """
        from adapters.mail.graph_intake import Intake, original_name
        from adapters.mail.graph_messages import fetch_message

        def new_intake() -> Intake:
            return Intake(
                self._blobs,
                original_name(mailbox, item_id),
                self._limits,
                self._max_bytes,
                self._memory_bytes,
            )

        return self._run(
            lambda session: fetch_message(session, mailbox, item_id, new_intake)
        )

    def send(self, mailbox: str, mail: OutgoingMail) -> str:
        """Send `mail` from `mailbox` as MIME; return its Message-ID.

        A retry after a send that may have gone out (a time-out, a 5xx) looks
        in Sent Items first, so a retried acknowledgement is not doubled.
        """
        return self._run(lambda session: self._send(session, mailbox, mail))

    def list_subscriptions(self) -> list[Subscription]:
        """Return this app's subscriptions that notify this installation."""
        from adapters.mail.graph_subscriptions import list_ours

        return self._run(lambda session: list_ours(session, self._url_prefix))

    def create_subscription(self, request: SubscriptionRequest) -> Subscription:
        """Create a subscription on a folder's messages."""
        from adapters.mail.graph_subscriptions import create

        return self._run(lambda s: create(s, request, self._lifetime_cap()))

    def renew_subscription(
        self, subscription_id: str, expires_at: datetime
    ) -> Subscription:
        """Extend a subscription; raise SubscriptionNotFoundError if gone."""
        from adapters.mail.graph_subscriptions import renew

        cap = self._lifetime_cap()
        return self._run(lambda s: renew(s, subscription_id, expires_at, cap))

    def delete_subscription(self, subscription_id: str) -> bool:
        """Delete a subscription; return False if Graph had none by the id."""
        from adapters.mail.graph_subscriptions import delete

        return self._run(lambda session: delete(session, subscription_id))

    def delta(self, mailbox: str, folder: str, delta_link: str | None) -> DeltaPage:
        """Return the ids created in a folder since `delta_link`.

        Without a link, the window is the last `resync_days` days.
        """
        from adapters.mail.graph_delta import delta

        since = self._now() - timedelta(days=self._config.resync_days)
        return self._run(lambda s: delta(s, mailbox, folder, delta_link, since))

    def check(self, mailboxes: list[tuple[str, list[str]]]) -> list[Probe]:
        """Probe sign-in, each (mailbox, folders) pair, and the subscriptions."""
        from adapters.mail.graph_check import check

        return self._run(lambda session: check(session, mailboxes))

    def close(self) -> None:
        """Close the SDK client and stop the event loop."""
        session, self._session = self._session, None
        self._loop.close(session.close if session is not None else None)

    def _run(self, operation: Operation[T]) -> T:
        async def run() -> T:
            return await operation(await self._started())

        return self._loop.run(run(), CALL_DEADLINE)

    async def _started(self) -> GraphSession:
        """Return the session of the loop, building the SDK client once."""
        if self._session is None:
            from adapters.mail.graph_client import (
                build_adapter,
                build_credential,
                build_http,
            )
            from adapters.mail.graph_session import GraphSession

            credential = self._credential or build_credential(self._config)
            http = build_http(self._config, self._http)
            self._session = GraphSession(
                adapter=build_adapter(self._config, credential, http),
                http=http,
                credential=credential,
                max_concurrency=self._config.max_concurrency,
                sleep=self._sleep,
                now=self._now,
            )
        return self._session

    def _lifetime_cap(self) -> Lifetime:
        if self._lifetime is None:
            from adapters.mail.graph_subscriptions import Lifetime

            self._lifetime = Lifetime()
        return self._lifetime

    async def _send(
        self, session: GraphSession, mailbox: str, mail: OutgoingMail
    ) -> str:
        from adapters.mail.graph_messages import is_ambiguous, send_mail, was_sent

        key = (mailbox.lower(), angle(mail.message_id))
        if self._sent.get(key) is True:
            return key[1]
        if key in self._sent and await was_sent(session, mailbox, key[1]):
            logger.info("graph.resend_avoided", extra={"message_id": key[1]})
            return self._remember(key, True)

        try:
            await send_mail(session, mailbox, mail, self._now())
        except Exception as exc:
            if is_ambiguous(exc):
                self._remember(key, False)
            raise
        return self._remember(key, True)

    def _remember(self, key: tuple[str, str], sent: bool) -> str:
        """Note a send's outcome (False: unknown); keep the newest entries only."""
        self._sent[key] = sent
        self._sent.move_to_end(key)
        while len(self._sent) > SENT_MEMORY:
            self._sent.popitem(last=False)
        return key[1]
