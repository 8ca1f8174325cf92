"""Delta queries through GraphMailbox: paging, rounds, expired links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.mail.graph import GraphMailbox
from mailroom.errors import DeltaExpiredError
from tests.adapters.mail.conftest import mime
from tests.adapters.mail.fake_graph import FakeGraph
from tests.adapters.mail.graph_pipeline import HELPDESK, Clock


def store(
    graph: FakeGraph, clock: Clock, count: int, folder: str = "Inbox"
) -> list[str]:
    """Put `count` mails in a folder; return their ids."""
    return [
        graph.store.add(HELPDESK, folder, mime(), clock.now()) for _ in range(count)
    ]


def test_a_first_round_follows_next_links_to_the_delta_link(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Five mails at two a page take three GETs and end with a delta link."""
    ids = store(graph, clock, 5)

    page = mailbox.delta(HELPDESK, "Inbox", None)

    assert page.item_ids == ids and "$deltatoken=" in page.delta_link
    assert len(graph.requests) == 3


def test_a_first_round_asks_for_created_ids_in_the_resync_window(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """The initial request filters on receivedDateTime and selects only id."""
    mailbox.delta(HELPDESK, "Inbox", None)

    params = graph.requests[0].url.params
    assert params["$filter"] == "receivedDateTime ge 2026-11-25T09:00:00Z"
    assert (params["$select"], params["changeType"]) == ("id", "created")


def test_the_next_round_returns_only_what_arrived(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """A stored delta link yields the mail that came after it, in its folder."""
    store(graph, clock, 2)
    link = mailbox.delta(HELPDESK, "Inbox", None).delta_link
    store(graph, clock, 1, folder="SentItems")
    new = store(graph, clock, 1)

    assert mailbox.delta(HELPDESK, "Inbox", link).item_ids == new


def test_old_mail_outside_the_window_is_left_out(
    graph: FakeGraph, mailbox: GraphMailbox, clock: Clock
) -> None:
    """Mail received before the resync window is not returned."""
    graph.store.add(HELPDESK, "Inbox", mime(), clock.now() - timedelta(days=8))

    assert mailbox.delta(HELPDESK, "Inbox", None).item_ids == []


@pytest.mark.parametrize("status", [410, 400])
def test_an_expired_link_raises_delta_expired(
    graph: FakeGraph, mailbox: GraphMailbox, status: int
) -> None:
    """410 Gone, or a 4xx with syncStateNotFound, means: resync."""
    link = mailbox.delta(HELPDESK, "Inbox", None).delta_link
    graph.store.epoch, graph.store.expired_status = 1, status

    with pytest.raises(DeltaExpiredError, match="resyncs the folder"):
        mailbox.delta(HELPDESK, "Inbox", link)


def test_a_link_to_another_host_is_not_followed(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A stored link off Graph's base URL is refused without a request."""
    with pytest.raises(DeltaExpiredError, match="base_url"):
        mailbox.delta(
            HELPDESK, "Inbox", "https://evil.example/v1.0/delta?$deltatoken=x"
        )

    assert graph.requests == []
