"""Cases 14 and 15 of ../shared/cases, through GraphMailbox and the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mailroom.client_state import issue_client_state
from tests.adapters.mail.fake_graph_store import mime_of
from tests.adapters.mail.graph_pipeline import HELPDESK, GraphPipeline
from tests.cases import case_dir

CASE_14 = "14-graph-validation-token"
CASE_15 = "15-graph-move-duplicate-created"
SUBSCRIPTION = "e1c3a5b7-2d4f-4a6c-8e0a-3b5d7f9a1c2e"
USER = "b6e4a2c0-1d3f-4e5a-8b7c-9d0e1f2a3b4c"


def case_file(case: str, name: str) -> Any:
    """Return a JSON file of a case, or skip the test when cases are absent."""
    return json.loads((case_dir(case) / name).read_text(encoding="utf-8"))


def with_our_client_state(notification: dict[str, Any], ours: str) -> bytes:
    """Give each of the case's genuine notifications Mailroom's clientState."""
    for item in notification["value"]:
        if item["clientState"] == "hd-7Qm2xV9pL4sK":
            item["clientState"] = ours
    return json.dumps(notification).encode()


@pytest.fixture
def case15(tmp_path: Path) -> Iterator[GraphPipeline]:
    """Yield a pipeline subscribed as case 15 assumes, its GETs served."""
    case_dir(CASE_15)
    pipeline = GraphPipeline(tmp_path)
    pipeline.graph.store.users[USER] = HELPDESK
    pipeline.graph.next_subscription_ids.append(SUBSCRIPTION)
    pipeline.subscribe()
    message = case_file(CASE_15, "1-get-message-A.json")
    pipeline.graph.store.add(
        HELPDESK,
        "Inbox",
        mime_of(message),
        pipeline.clock.now(),
        message["id"],
    )
    yield pipeline
    pipeline.close()


def post_case(pipeline: GraphPipeline, name: str) -> int:
    """POST one of case 15's notifications to the webhook and drain."""
    ours = pipeline.graph.subscriptions[SUBSCRIPTION].client_state
    body = with_our_client_state(case_file(CASE_15, name), ours)
    status, _, _ = pipeline.post("https://mailroom.example.org/api/notifications", body)
    pipeline.drain()
    return status


def move_a_to_b(pipeline: GraphPipeline) -> None:
    """Serve B after the move, and A's 404, as the case's fixtures say."""
    store = pipeline.graph.store
    message = case_file(CASE_15, "2-get-message-B.json")
    store.remove(case_file(CASE_15, "1-get-message-A.json")["id"])
    store.add(
        HELPDESK,
        "Triage",
        mime_of(message),
        pipeline.clock.now(),
        message["id"],
    )


def test_case_14_subscribing_echoes_both_validation_tokens(tmp_path: Path) -> None:
    """Creating the subscriptions passes the handshake with the case's tokens."""
    pipeline = GraphPipeline(tmp_path)
    for name in ("validation-request.json", "validation-request-lifecycle-url.json"):
        query = urlsplit(case_file(CASE_14, name)["url"]).query
        pipeline.graph.validation_queries.append(query)

    pipeline.subscribe()
    pipeline.close()

    assert len(pipeline.graph.subscriptions) == 2
    assert pipeline.graph.validation_queries == []


def test_case_14_a_validation_post_gets_the_decoded_token_back(tmp_path: Path) -> None:
    """The webhook answers 200, text/plain, the token with + and %20 decoded."""
    results = case_file(CASE_14, "expected.json")["results"]
    pipeline = GraphPipeline(tmp_path)
    for name in ("validation-request.json", "validation-request-lifecycle-url.json"):
        route = urlsplit(case_file(CASE_14, name)["url"])
        endpoint = route.path.split("/")[-1]
        url = f"https://mailroom.example.org/api/{endpoint}?{route.query}"

        status, content_type, body = pipeline.post(url, b"")

        assert (status, body) == (200, results[name]["body_exact"])
        assert content_type.startswith(results[name]["content_type_starts_with"])


def test_case_14_an_ordinary_notification_is_accepted_not_echoed(
    tmp_path: Path,
) -> None:
    """A change notification gets 202 and one queued change, not a token."""
    pipeline = GraphPipeline(tmp_path)
    secret = pipeline.config.mail.client_state_secret.get_secret_value()
    body = case_file(CASE_14, "ordinary-notification.json")["body"]
    payload = with_our_client_state(body, issue_client_state(secret, "n0"))

    status, _, text = pipeline.post(
        "https://mailroom.example.org/api/notifications", payload
    )

    assert status == 202 and "Validation" not in text
    assert len(pipeline.queues["mail-changes"]) == 1


def test_case_15_one_ticket_one_acknowledgement(case15: GraphPipeline) -> None:
    """Notified, moved, notified again and retried: one ticket, one reply."""
    statuses = [post_case(case15, "1-notification-created-inbox.json")]
    move_a_to_b(case15)
    statuses += [post_case(case15, "2-notification-after-move.json")]
    statuses += [post_case(case15, "3-notification-retry-of-1.json")]

    [ticket] = case15.tracker.tickets.values()
    assert ticket.draft.summary == "Laptop battery is swelling"
    assert (
        ticket.draft.requester
        and ticket.draft.requester.email == "chen.wei@example.com"
    )
    assert len(case15.sent()) == 1 and case15.poison == []
    assert statuses == [202, 202, 202]


def test_case_15_the_ticket_takes_the_fields_of_the_mail(case15: GraphPipeline) -> None:
    """Asset and Location come from the body, severity from importance high."""
    post_case(case15, "1-notification-created-inbox.json")

    [ticket] = case15.tracker.tickets.values()
    fields = ticket.draft.fields
    assert (fields["asset"], fields["location"]) == ("EX-2291", "Building B, room 214")
    assert fields["severity"] == "High"


def test_case_15_the_404_for_a_after_the_move_harms_nothing(
    case15: GraphPipeline,
) -> None:
    """A retry of A's notification after the move is gone, not a failure."""
    move_a_to_b(case15)
    post_case(case15, "3-notification-retry-of-1.json")
    post_case(case15, "2-notification-after-move.json")

    assert len(case15.tracker.tickets) == 1 and case15.poison == []


def test_case_15_a_forged_client_state_fetches_nothing(case15: GraphPipeline) -> None:
    """The notification with a wrong clientState leads to no Graph request."""
    before = len(case15.graph.requests)

    assert post_case(case15, "4-notification-wrong-clientstate.json") == 202

    assert len(case15.graph.requests) == before and case15.tracker.tickets == {}
