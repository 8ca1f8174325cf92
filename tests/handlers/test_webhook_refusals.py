"""Forged items on either Graph endpoint: 202, nothing queued, a recorded outcome.

A change notification and a lifecycle notification carry the same
clientState, so a forgery is refused the same way at both: the log line of
the batch says "rejected" when nothing in it was ours, and a warning counts
the forged items.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from handlers.lifecycle import handle_lifecycle
from handlers.notifications import handle_notifications
from handlers.webhooks import HttpAnswer
from mailroom.client_state import issue_client_state

SECRET = "test-secret"
Handler = Callable[[dict[str, str], bytes, str], HttpAnswer]


def change(client_state: str) -> dict[str, object]:
    """Return one Graph-shaped change notification for a new message."""
    return {
        "subscriptionId": "sub-1",
        "changeType": "created",
        "clientState": client_state,
        "resource": "Users/helpdesk@example.org/Messages/AAMkAD1=",
    }


def lifecycle(client_state: str, event: str = "missed") -> dict[str, object]:
    """Return one Graph-shaped lifecycle notification."""
    return {
        "subscriptionId": "sub-1",
        "lifecycleEvent": event,
        "clientState": client_state,
        "resource": "Users/helpdesk@example.org/Messages",
    }


ENDPOINTS: list[tuple[str, Handler, Callable[[str], dict[str, object]]]] = [
    ("notifications", handle_notifications, change),
    ("lifecycle", handle_lifecycle, lifecycle),
]


def post(
    handler: Handler, caplog: pytest.LogCaptureFixture, *items: object
) -> tuple[HttpAnswer, logging.LogRecord]:
    """Post a batch; return the answer and the batch's unit-of-work line."""
    caplog.clear()
    with caplog.at_level(logging.INFO):
        answer = handler({}, json.dumps({"value": list(items)}).encode(), SECRET)
    line = next(r for r in caplog.records if r.getMessage().endswith(".batch"))
    return answer, line


@pytest.mark.parametrize(("name", "handler", "item"), ENDPOINTS)
def test_a_batch_of_forgeries_is_recorded_as_rejected(
    name: str,
    handler: Handler,
    item: Callable[[str], dict[str, object]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two forged items: 202, nothing queued, outcome "rejected", one warning."""
    answer, line = post(handler, caplog, item("mr1.n1.forged"), item("not-ours"))

    assert (answer.status, answer.enqueue) == (202, [])
    assert (line.outcome, line.rejected, line.enqueued) == ("rejected", 2, 0)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [(w.getMessage(), w.count) for w in warnings] == [
        (f"{name}.client_state_mismatch", 2)
    ]


@pytest.mark.parametrize(("name", "handler", "item"), ENDPOINTS)
def test_a_forgery_beside_a_real_item_leaves_the_real_one_queued(
    name: str,
    handler: Handler,
    item: Callable[[str], dict[str, object]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The real item goes on; the batch is "ok" and the forgery still counted."""
    real = item(issue_client_state(SECRET, "n1"))
    answer, line = post(handler, caplog, item("forged"), real)

    assert len(answer.enqueue) == 1
    assert (line.outcome, line.rejected, line.enqueued) == ("ok", 1, 1)


def test_an_unknown_lifecycle_event_of_ours_is_counted_as_malformed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Our clientState with an event Mailroom does not know: malformed, no warning."""
    ours = issue_client_state(SECRET, "n1")
    answer, line = post(handle_lifecycle, caplog, lifecycle(ours, "someNewEvent"))

    assert answer.enqueue == []
    assert (line.outcome, line.malformed, line.rejected) == ("ok", 1, 0)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


@pytest.mark.parametrize("handler", [handle_notifications, handle_lifecycle])
def test_items_that_are_not_objects_are_received_and_malformed(
    handler: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    """A string, a null and a number: three received, three malformed."""
    answer, line = post(handler, caplog, "x", None, 5)

    assert (answer.status, answer.enqueue) == (202, [])
    assert (line.received, line.malformed, line.rejected) == (3, 3, 0)


@pytest.mark.parametrize(("handler", "item"), [e[1:] for e in ENDPOINTS])
def test_non_objects_beside_a_real_item_are_counted_and_it_goes_on(
    handler: Handler,
    item: Callable[[str], dict[str, object]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The real item is queued; the list and the number count as malformed."""
    real = item(issue_client_state(SECRET, "n1"))
    answer, line = post(handler, caplog, [], real, 7)

    assert len(answer.enqueue) == 1
    assert (line.received, line.enqueued, line.malformed) == (3, 1, 2)
