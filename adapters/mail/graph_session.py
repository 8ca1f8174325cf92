"""One Graph client on one event loop, with Graph's limits kept around it.

Every call goes through `GraphSession.call`: at most `max_concurrency`
requests at once per mailbox (Exchange serves four), short throttling waits
taken here, and every failure translated into Mailroom's errors. A wait over
SHORT_WAIT is the queue's to take, so a trigger never sleeps away its
time-out: RetryableError carries it (up to MAX_WAIT), and the stage puts the
message back for that long (see handlers/stage.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient

from adapters.mail.graph_errors import (
    SIGN_IN,
    GraphFailure,
    GraphRefusedError,
    GraphRetryableError,
    credential_message,
    describe,
    refusal_message,
    retry_message,
)
from mailroom.errors import MailroomError, PermanentError

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

SHORT_WAIT = 5.0
# The longest Retry-After passed on as asked; the stage defers an hour at most.
MAX_WAIT = 3600.0
ATTEMPTS = 3
QUEUE_WAIT = 10.0
ERRORS = {"XXX": ODataError}


def json_request(
    method: Method, builder: Any, body: dict[str, Any] | None = None
) -> RequestInformation:
    """Return a request to a builder's URL, with `body` as its JSON."""
    info = RequestInformation(method, builder.url_template, builder.path_parameters)
    info.headers.try_add("Accept", "application/json")
    if body is not None:
        info.set_stream_content(json.dumps(body).encode(), "application/json")
    return info


@dataclass
class GraphSession:
    """The SDK objects of one event loop, and the limits kept around them."""

    adapter: GraphRequestAdapter
    http: httpx.AsyncClient
    credential: AsyncTokenCredential
    max_concurrency: int
    sleep: Sleep
    now: Callable[[], datetime]
    client: GraphServiceClient = field(init=False)
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = GraphServiceClient(request_adapter=self.adapter)

    async def call(
        self,
        mailbox: str,
        action: str,
        make: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = True,
    ) -> T:
        """Run one Graph request, within the limits; raise Mailroom's errors.

        `make` builds and sends the request anew on each attempt. `action`
        completes "when asked to ...", for messages. A request that is not
        `idempotent` is tried again here only when it cannot have taken
        effect (429, no connection); otherwise the caller decides.
        """
        for attempt in range(1, ATTEMPTS + 1):
            async with self._slot(mailbox):
                try:
                    return await make()
                except MailroomError:
                    raise
                except Exception as exc:
                    failure, cause = self._failure(exc, action), exc

            wait = failure.retry_after or float(2 ** (attempt - 1))
            logger.warning(
                "graph.retry",
                extra={"status": failure.status, "wait_s": wait, "attempt": attempt},
            )
            unsure = failure.maybe_done and not idempotent
            if unsure or wait > SHORT_WAIT or attempt == ATTEMPTS:
                wait = min(failure.retry_after or QUEUE_WAIT, MAX_WAIT)
                message = retry_message(action, failure)
                raise GraphRetryableError(message, wait, failure) from cause
            await self.sleep(wait)
        raise AssertionError("unreachable: the last attempt raises")

    async def send_json(self, info: RequestInformation) -> dict[str, Any]:
        """Send a request; return its JSON object (empty without a body).

        Graph's answers are read as plain JSON, not as the SDK's models: the
        first model it reads imports some 1,200 modules (three seconds).
        """
        raw = await self.adapter.send_primitive_async(info, "bytes", ERRORS)
        if not raw:
            return {}
        try:
            document = json.loads(raw)
        except ValueError as exc:
            raise PermanentError("Graph answered with a body that is not JSON") from exc
        if not isinstance(document, dict):
            raise PermanentError("Graph answered with JSON that is not an object")
        return document

    async def send_empty(self, info: RequestInformation) -> None:
        """Send a request whose answer has no body."""
        await self.adapter.send_no_response_content_async(info, ERRORS)

    async def close(self) -> None:
        """Close the HTTP client and the credential's own sessions."""
        await self.http.aclose()
        await self.credential.close()

    def _slot(self, mailbox: str) -> asyncio.Semaphore:
        key = mailbox.lower()
        if key not in self._slots:
            self._slots[key] = asyncio.Semaphore(self.max_concurrency)
        return self._slots[key]

    def _failure(self, exc: Exception, action: str) -> GraphFailure:
        """Return a retryable failure, or raise the permanent error for it."""
        if isinstance(exc, ClientAuthenticationError):
            raise PermanentError(credential_message(exc)) from exc
        if isinstance(exc, ServiceRequestError):
            return GraphFailure(status=None, code=SIGN_IN)

        failure = describe(exc)
        if failure is None:
            raise PermanentError(
                f"the Graph SDK failed to {action} ({type(exc).__name__}); "
                "report it with this message"
            ) from exc
        if not failure.retryable:
            raise GraphRefusedError(refusal_message(action, failure), failure) from exc
        return failure
