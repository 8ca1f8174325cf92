"""The notification endpoint: handshake, clientState, enqueue."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

from handlers.notifications import handle_notifications
from mailroom.client_state import issue_client_state
from mailroom.messages import MailChange
from tests.cases import case_json

SECRET = "test-secret"
CASE = "14-graph-validation-token"


def notification(client_state: str, item_id: str = "AAMkAD1=") -> dict[str, object]:
    """Return one Graph-shaped change notification."""
    resource = f"Users/helpdesk@example.org/Messages/{item_id}"
    return {
        "subscriptionId": "sub-1",
        "changeType": "created",
        "clientState": client_state,
        "resource": resource,
        "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "id": item_id},
    }


def post(*items: dict[str, object]) -> tuple[int, list[MailChange]]:
    """Post a batch and return the status and the enqueued changes."""
    body = json.dumps({"value": list(items)}).encode()
    answer = handle_notifications({}, body, SECRET)
    return answer.status, [MailChange.model_validate_json(m) for m in answer.enqueue]


def test_validation_token_is_echoed_exactly() -> None:
    """Case 14: the decoded token comes back as text/plain, unchanged."""
    for file in ("validation-request.json", "validation-request-lifecycle-url.json"):
        request = case_json(CASE, file)
        params = dict(parse_qsl(urlsplit(request["url"]).query))
        answer = handle_notifications(params, b"", SECRET)
        expected = case_json(CASE, "expected.json")["results"][file]
        assert answer.status == 200
        assert answer.content_type.startswith("text/plain")
        assert answer.body == expected["body_exact"]


def test_a_valid_notification_is_enqueued_with_its_item() -> None:
    """A notification with our clientState becomes one mail change."""
    status, changes = post(notification(issue_client_state(SECRET, "n1")))
    assert status == 202
    assert [(c.mailbox, c.item_id) for c in changes] == [
        ("helpdesk@example.org", "AAMkAD1=")
    ]


def test_a_forged_client_state_is_refused_and_nothing_enqueued() -> None:
    """A wrong clientState (case 14's ordinary one too) enqueues nothing."""
    forged = case_json(CASE, "ordinary-notification.json")["body"]["value"][0]
    status, changes = post(forged, notification("mr1.n1.forged"))
    assert status == 202
    assert changes == []


def test_the_rest_of_a_batch_goes_on_past_a_bad_item() -> None:
    """One unreadable notification does not stop the others."""
    good = notification(issue_client_state(SECRET, "n2"), "AAMkAD2=")
    broken = {**good, "resource": "Users/x/Events/1"}
    status, changes = post(broken, good)
    assert status == 202
    assert [c.item_id for c in changes] == ["AAMkAD2="]


def test_a_body_that_is_not_a_collection_gets_400() -> None:
    """Malformed JSON is refused with a clear message."""
    answer = handle_notifications({}, b"{not json", SECRET)
    assert answer.status == 400
    assert answer.enqueue == []
