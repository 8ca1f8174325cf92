"""Throttling and failures: bounded waits here, longer ones for the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.mail.graph import GraphMailbox
from mailroom.errors import PermanentError, RetryableError
from tests.adapters.mail.fake_graph import FakeGraph, Throttle, error
from tests.adapters.mail.graph_pipeline import HELPDESK, Clock
from tests.adapters.mail.test_graph_messages import ACK


def test_a_short_retry_after_is_waited_out_here(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock, waits: list[float]
) -> None:
    """A 429 asking for 2 s is retried after 2 s, inside the call."""
    graph.throttle = Throttle(until=clock.now() + timedelta(seconds=2))

    mailbox.delta(HELPDESK, "Inbox", None)

    assert waits == [2.0] and len(graph.requests) == 2


def test_a_long_retry_after_goes_to_the_queue_as_asked(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock, waits: list[float]
) -> None:
    """A 429 asking for 5 minutes hands the queue the 5 minutes, unslept."""
    graph.throttle = Throttle(until=clock.now() + timedelta(minutes=5))

    with pytest.raises(RetryableError, match="max_concurrency") as raised:
        mailbox.delta(HELPDESK, "Inbox", None)

    assert raised.value.retry_after == 300 and waits == []


def test_a_retry_after_of_a_day_is_capped_at_an_hour(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock, waits: list[float]
) -> None:
    """An absurd Retry-After cannot park a message for a day."""
    graph.throttle = Throttle(until=clock.now() + timedelta(days=1))

    with pytest.raises(RetryableError) as raised:
        mailbox.delta(HELPDESK, "Inbox", None)

    assert raised.value.retry_after == 3600 and waits == []


def test_a_503_without_retry_after_backs_off_then_passes(
    graph: FakeGraph, mailbox: GraphMailbox, waits: list[float]
) -> None:
    """Two 503s are retried after 1 s and 2 s; the third try passes."""
    for _ in range(2):
        graph.answers.append(
            (("GET", "delta()"), error(503, "serviceNotAvailable", ""))
        )

    mailbox.delta(HELPDESK, "Inbox", None)

    assert waits == [1.0, 2.0]


def test_a_send_that_may_have_gone_out_is_not_retried_here(
    graph: FakeGraph, mailbox: GraphMailbox, waits: list[float]
) -> None:
    """A 504 on sendMail goes to the queue at once: no blind second POST."""
    graph.answers.append((("POST", "sendMail"), error(504, "gatewayTimeout", "")))

    with pytest.raises(RetryableError):
        mailbox.send(HELPDESK, ACK)

    assert waits == [] and len(graph.requests) == 1


def test_a_refused_token_names_the_credential_settings(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A 401 is permanent and says which settings to check, without a URL."""
    graph.answers.append(
        (("GET", "delta()"), error(401, "InvalidAuthenticationToken", ""))
    )

    with pytest.raises(PermanentError, match=r"mail\.graph\.tenant_id") as raised:
        mailbox.delta(HELPDESK, "Inbox", None)

    assert "https://" not in str(raised.value) and HELPDESK not in str(raised.value)


def test_a_denied_mailbox_points_at_permissions_and_scoping(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A 403 names the permissions and Exchange's access scoping."""
    graph.answers.append((("GET", "delta()"), error(403, "ErrorAccessDenied", "")))

    with pytest.raises(PermanentError, match="application access policy"):
        mailbox.delta(HELPDESK, "Inbox", None)
