"""A tool that asks for a long wait defers the delivery on the real local host.

The host drains SQLite queues on a clock the test moves, and the app's
services hold a Jira fake that answers 503 with Retry-After 600 once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.mail.local import LocalMailbox
from adapters.queues.sqlite import SqliteQueues
from handlers.services import Services
from handlers.stage import DEFERRALS
from mailroom.config import RouteConfig, RuntimeConfig
from runtime import wiring
from runtime.local_host import LocalHost, QueueSettings
from runtime.session import REPO, load_app
from tests.adapters.trackers.fake_jira import FakeJira, connect, section
from tests.pipeline import pipeline_config

pytestmark = pytest.mark.slow
HELPDESK = "helpdesk@example.org"
MAIL = (
    b"From: Ada Lindqvist <ada@example.com>\r\n"
    b"To: helpdesk@example.org\r\n"
    b"Subject: Scanner offline\r\n"
    b"Message-ID: <deferral-1@example.com>\r\n"
    b"Date: Mon, 03 Mar 2025 09:10:00 +0000\r\n"
    b"\r\n"
    b"The scanner in room 12 stopped.\r\n"
)


class Clock:
    """Unix time that moves only when told."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Running:
    """The host, its queues' clock, the Jira fake and the app's ports."""

    host: LocalHost
    clock: Clock
    jira: FakeJira
    mailbox: LocalMailbox
    ports: Services


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    """Start the local host with a Jira fake and queues on a stopped clock."""
    base = pipeline_config()
    clock, jira = Clock(), FakeJira()
    route = RouteConfig(name="everything", tools=["jira"])
    queues = SqliteQueues(tmp_path / "queues.sqlite3", clock=clock)
    host = LocalHost(load_app(), queues, QueueSettings(REPO / "host.json"), port=0)
    runtime = base.runtime.model_copy(
        update={"data_dir": str(tmp_path), "public_url": host.url}
    )
    config = base.model_copy(
        update={"runtime": runtime, "trackers": {"jira": section()}, "routes": [route]}
    )
    store, blobs = wiring.storage_ports(config)
    mailbox = wiring.local_mailbox(config)
    ports = Services(
        config=config,
        mail=mailbox,
        trackers={"jira": connect(jira)},
        store=store,
        blobs=blobs,
        now=lambda: datetime.now(UTC),
        new_nonce=lambda: uuid.uuid4().hex,
        queues=queues,
    )
    wiring.configure(config, ports)
    host.start()
    host.run_timers()
    yield Running(host, clock, jira, mailbox, ports)
    host.stop()
    wiring.configure(base)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Wait until `condition` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the host never got there"
        time.sleep(0.05)


def test_a_503_with_a_long_retry_after_defers_the_delivery(
    running: Running,
) -> None:
    """Deferred, not poisoned; the ticket opens once the 600 s have passed."""
    queues, store = running.host.queues, running.ports.store
    running.jira.fail_next(1, 503, wait="600")
    running.mailbox.deliver(HELPDESK, MAIL)

    wait_for(lambda: any(store.scan(DEFERRALS)) and queues.pending() == 1)
    time.sleep(1)
    assert running.jira.issues == {}
    assert queues.depth("deliveries") == 1
    assert queues.poison_counts() == {}

    running.clock.now += 601
    wait_for(lambda: queues.pending() == 0)
    assert len(running.jira.issues) == 1
    assert queues.poison_counts() == {}
    assert len(running.mailbox.items(HELPDESK, "SentItems")) == 1


def test_the_default_queue_wait_matches_host_json() -> None:
    """runtime.visibility_timeout_seconds defaults to what host.json sets."""
    host_json = QueueSettings(REPO / "host.json")
    assert RuntimeConfig().visibility_timeout_seconds == host_json.retry_delay


def test_a_short_retry_after_waits_the_queue_delay_and_poisons_plainly(
    running: Running,
) -> None:
    """Retry-After 5 s under a 30 s queue delay: tries 30 s apart, then poison.

    Five tries at 5 s would spend a tool's short outage in 20 seconds; the
    stored reason says the host gave up, not that it is trying again.
    """
    queues = running.host.queues
    running.jira.fail_next(1000, 503, wait="5")
    running.mailbox.deliver(HELPDESK, MAIL)
    wait_for(lambda: len(running.jira.requests) > 0 and queues.pending() == 1)
    time.sleep(0.5)
    asked = len(running.jira.requests)

    running.clock.now += 6
    time.sleep(1)
    assert len(running.jira.requests) == asked

    for _ in range(4):
        running.clock.now += 31
        before = len(running.jira.requests)
        wait_for(lambda b=before: len(running.jira.requests) > b)
    wait_for(lambda: queues.poison_counts() == {"deliveries": 1})
    [parked] = queues.poison_messages("deliveries")
    assert parked.reason.startswith("gave up after 5 tries; the last failed with")
    assert "503" in parked.reason and "trying again" not in parked.reason
    assert running.jira.issues == {}
