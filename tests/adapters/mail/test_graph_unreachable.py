"""Failures that may pass later: each message says what to check, not who retries.

The messages reach the `mailroom` command as they are, where no queue
tries again, so none of them speaks of the queue; throttling advice
belongs to a 429 only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ServiceRequestError

from adapters.mail.graph import GraphMailbox
from mailroom.errors import RetryableError
from tests.adapters.mail.fake_graph import FakeGraph, error
from tests.adapters.mail.graph_pipeline import HELPDESK, FakeCredential, graph_config


class UnreachableCredential:
    """A credential whose sign-in endpoint gives no answer at all."""

    async def get_token(self, *scopes: str, **options: Any) -> None:
        """Fail as azure-identity does when the connection is refused."""
        raise ServiceRequestError("Cannot connect to host")

    async def close(self) -> None:
        """Nothing to close."""


def refuse(request: httpx.Request) -> httpx.Response:
    """Fail every request before it leaves this machine."""
    raise httpx.ConnectError("connection refused", request=request)


def graph_mailbox(credential: Any, handle: Any) -> Iterator[GraphMailbox]:
    """Yield a GraphMailbox over `handle` that never sleeps."""

    async def no_sleep(seconds: float) -> None:
        """Skip the wait."""

    section = graph_config().mail.graph
    assert section is not None
    mailbox = GraphMailbox(
        section,
        "https://mailroom.example.org",
        credential=credential,
        http=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handle)),
        sleep=no_sleep,
    )
    yield mailbox
    mailbox.close()


@pytest.fixture
def unsigned() -> Iterator[GraphMailbox]:
    """Yield a GraphMailbox that cannot reach Microsoft Entra ID."""
    yield from graph_mailbox(UnreachableCredential(), refuse)


@pytest.fixture
def offline() -> Iterator[GraphMailbox]:
    """Yield a GraphMailbox that signs in but cannot reach Graph."""
    yield from graph_mailbox(FakeCredential(), refuse)


def test_an_unreachable_sign_in_names_network_and_tenant(
    unsigned: GraphMailbox,
) -> None:
    """The message names what to check, and neither queue nor throttling."""
    with pytest.raises(RetryableError) as raised:
        unsigned.list_subscriptions()

    message = str(raised.value)
    assert "Microsoft Entra ID could not be reached" in message
    assert "network" in message and "mail.graph.tenant_id" in message
    assert "queue" not in message and "max_concurrency" not in message


def test_an_unreachable_graph_names_the_network_and_base_url(
    offline: GraphMailbox,
) -> None:
    """A refused connection points at the network, not at throttling."""
    with pytest.raises(RetryableError) as raised:
        offline.delta(HELPDESK, "Inbox", None)

    message = str(raised.value)
    assert "mail.graph.base_url" in message
    assert "queue" not in message and "max_concurrency" not in message


def test_a_503_is_not_taken_for_throttling(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """Three 503s say Graph failed on its side, with no throttling advice."""
    for _ in range(3):
        graph.answers.append((("GET", "delta()"), error(503, "unavailable", "")))

    with pytest.raises(RetryableError) as raised:
        mailbox.delta(HELPDESK, "Inbox", None)

    assert "503" in str(raised.value)
    assert "max_concurrency" not in str(raised.value)
