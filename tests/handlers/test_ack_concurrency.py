"""Acknowledgements sent by workers at the same moment keep their caps.

The caps are the last guard against a mail loop; a burst from one sender
reaches several workers at once, and each used to read the history before
any of them had added to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from handlers import acknowledge
from handlers.acknowledge import handle_ack
from handlers.deliver import handle_delivery
from handlers.ingest import handle_change
from mailroom.messages import AckRequest, MailChange
from tests.pipeline import HELPDESK, Pipeline


def burst_mail(number: int) -> bytes:
    """Return mail `number` of a burst from one sender, each its own ticket."""
    return (
        "From: Loop Tester <loop.tester@example.com>\r\n"
        "To: helpdesk@example.org\r\n"
        f"Subject: Printer {number} offline\r\n"
        f"Message-ID: <burst-{number}@example.com>\r\n"
        "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n"
        "\r\n"
        f"Printer {number} on the third floor is offline.\r\n"
    ).encode()


def ack_requests(pipeline: Pipeline, count: int) -> list[AckRequest]:
    """Open one ticket per burst mail; return their acknowledgement requests."""
    for number in range(count):
        pipeline.mailbox.deliver(HELPDESK, burst_mail(number))
    changes = pipeline.queues["mail-changes"]
    requests: list[AckRequest] = []
    for body in changes:
        for delivery in handle_change(
            MailChange.model_validate_json(body), pipeline.services
        ):
            requests += handle_delivery(delivery, pipeline.services)
    changes.clear()
    return requests


def slowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the gap between reading the caps and counting the send."""
    decide: Callable[..., Any] = acknowledge.allow

    def allow_slowly(*args: Any) -> Any:
        decision = decide(*args)
        time.sleep(0.05)
        return decision

    monkeypatch.setattr(acknowledge, "allow", allow_slowly)


def test_a_burst_from_one_sender_gets_no_more_than_the_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven tickets acknowledged by seven workers at once: five mails."""
    pipeline = Pipeline(tmp_path)
    requests = ack_requests(pipeline, 7)
    slowed(monkeypatch)

    with ThreadPoolExecutor(7) as pool:
        list(pool.map(lambda r: handle_ack(r, pipeline.services), requests))

    assert len(pipeline.sent()) == 5
    withheld = [
        t
        for t in pipeline.tracker.tickets.values()
        if "acknowledgement-withheld" in t.events
    ]
    assert len(withheld) == 2


def test_two_copies_of_one_acknowledgement_send_one_mail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replayed copy running beside the first finds the mail acknowledged."""
    pipeline = Pipeline(tmp_path)
    [request] = ack_requests(pipeline, 1)
    slowed(monkeypatch)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda r: handle_ack(r, pipeline.services), [request] * 2))

    [ticket] = pipeline.tracker.tickets.values()
    assert ticket.events.count("acknowledgement-sent") == 1
