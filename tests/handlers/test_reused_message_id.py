"""Two mails under one Message-ID are two mails; copies of one mail are one.

Scanners, scripts and old gateways give every mail they send one fixed
Message-ID. Each such mail was dropped as a duplicate of the first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from runtime.explain import Arrival, decide_arrival, file_arrival
from tests.pipeline import Pipeline


def scan(minute: int, received: str = "relay1.example.org") -> bytes:
    """Return a scanner's mail; every one it sends has the same Message-ID."""
    return (
        f"Received: from scanner.example.org by {received}\r\n"
        "From: Floor 3 Scanner <scanner3@example.com>\r\n"
        "To: helpdesk@example.org\r\n"
        "Subject: Scanner jam report\r\n"
        "Message-ID: <scanner-report@scanner3.example.com>\r\n"
        f"Date: Tue, 01 Dec 2026 09:{minute:02d}:00 +0000\r\n"
        "\r\n"
        f"Paper jam in tray 2, reported at 09:{minute:02d}.\r\n"
    ).encode()


def test_two_mails_that_share_a_message_id_open_two_tickets(tmp_path: Path) -> None:
    """The second scan is a mail of its own: its own ticket and acknowledgement."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(scan(5))
    pipeline.deliver(scan(40))

    bodies = sorted(t.draft.description for t in pipeline.tracker.tickets.values())
    assert len(bodies) == 2
    assert "reported at 09:05" in bodies[0] and "reported at 09:40" in bodies[1]
    assert len(pipeline.sent()) == 2


def test_each_of_them_notified_again_adds_nothing(tmp_path: Path) -> None:
    """Repeats of either mail, and a copy by another route, are duplicates."""
    pipeline = Pipeline(tmp_path)
    for raw in (scan(5), scan(40), scan(40), scan(5, "relay2.example.org")):
        pipeline.deliver(raw)

    assert len(pipeline.tracker.tickets) == 2
    assert len(pipeline.sent()) == 2
    assert pipeline.poison == []


def test_explain_calls_the_second_mail_new_and_a_repeat_stored(tmp_path: Path) -> None:
    """explain resolves the key as ingest does."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(scan(5))
    store, config = pipeline.services.store, pipeline.config

    def seen(raw: bytes) -> bool:
        arrival: Arrival = file_arrival(raw, "scan.eml", config, None)
        decision = decide_arrival(arrival, config, store, datetime.now(UTC))
        return decision.seen is not None

    assert (seen(scan(5)), seen(scan(40))) == (True, False)
