"""Kill the local host mid-run, start it again: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from adapters.mail.local import LocalMailbox
from adapters.queues.sqlite import SqliteQueues
from adapters.state.sqlite import SqliteStore
from handlers.claims import CLAIM_SECONDS, CLAIMS, claim
from handlers.ingest import mail_key
from handlers.ledger import Ledger
from mailroom.mime import parse_mail
from runtime import wiring
from runtime.session import SAMPLES
from tests.runtime import test_sample_mailbox as samples

pytestmark = pytest.mark.slow
HELPDESK = "helpdesk@example.org"


def free_port() -> int:
    """Return a port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """Write the embedded configuration with a private data folder and port."""
    data = yaml.safe_load(wiring.DEFAULT_CONFIG.read_text())
    data["runtime"] = {
        "data_dir": str(tmp_path / "data"),
        "public_url": f"http://127.0.0.1:{free_port()}",
    }
    path = tmp_path / "mailroom.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


class Server:
    """`mailroom serve` in a child process."""

    def __init__(self, config_file: Path) -> None:
        self.config = wiring.load_config(config_file)
        self.config_file = config_file
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start serving and wait until the HTTP port answers."""
        command = [
            sys.executable,
            "-m",
            "runtime.cli",
            "--config",
            str(self.config_file),
        ]
        self.process = subprocess.Popen([*command, "serve"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.config.runtime.public_url}/tracker", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("mailroom serve did not start within 30 s")

    def kill(self) -> None:
        """Kill the server at once, as a crash would."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def wait_idle(self, timeout: float = 90) -> None:
        """Wait until the server's queues are empty."""
        queues = SqliteQueues(Path(self.config.runtime.data_dir) / "queues.sqlite3")
        deadline = time.monotonic() + timeout
        while queues.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert queues.pending() == 0, "the pipeline did not drain"
        assert not any(queues.poison_counts().values())


@pytest.fixture
def server(config_file: Path) -> Iterator[Server]:
    """Yield a server handle; kill whatever still runs at the end."""
    handle = Server(config_file)
    yield handle
    if handle.process and handle.process.poll() is None:
        handle.kill()
    wiring.configure(wiring.load_config())


def test_a_crash_mid_run_loses_and_doubles_nothing(
    server: Server, sample_expectations: dict[str, Any]
) -> None:
    """Kill -9 while a mail is in flight, deliver more while down, restart:
    every sample ends exactly as intended, acknowledged once."""
    mailbox = LocalMailbox(Path(server.config.runtime.data_dir) / "mailboxes")
    files = sorted(SAMPLES.glob("*.eml"))
    server.start()
    for path in files[:5]:
        mailbox.deliver(HELPDESK, path.read_bytes())
        server.wait_idle()
    mailbox.deliver(HELPDESK, files[5].read_bytes())
    server.kill()
    for path in files[6:]:
        mailbox.deliver(HELPDESK, path.read_bytes())

    server.start()
    server.wait_idle()
    server.kill()

    wiring.configure(server.config)
    samples.check_outcomes(sample_expectations)
    samples.check_acknowledgements(sample_expectations)
    check_logs_hold_no_payload(Path(server.config.runtime.data_dir) / "mailroom.log")


def test_a_claim_a_killed_run_left_is_released_at_restart(server: Server) -> None:
    """A mail whose ingest claim a killed run still held is ingested at
    once after the restart, not after the claim's six minutes."""
    server.start()
    server.wait_idle()
    server.kill()
    raw = next(iter(sorted(SAMPLES.glob("*.eml")))).read_bytes()
    mailbox = LocalMailbox(Path(server.config.runtime.data_dir) / "mailboxes")
    item_id = mailbox.deliver(HELPDESK, raw)
    key = mail_key(HELPDESK, parse_mail(raw).mail, item_id, raw, server.config)
    store = SqliteStore(Path(server.config.runtime.data_dir) / "state.sqlite3")
    assert claim(store, f"ingest|{key}", "killed", datetime.now(UTC), CLAIM_SECONDS)

    server.start()
    server.wait_idle(timeout=60)
    server.kill()

    assert list(store.scan(CLAIMS)) == []
    record = Ledger(store).mail(key)
    assert record is not None and record.status == "routed"
    log = (Path(server.config.runtime.data_dir) / "mailroom.log").read_text()
    assert '"claims": 1' in log


def check_logs_hold_no_payload(log: Path) -> None:
    """No subject, sender, display name or body line of a sample is logged."""
    text = log.read_text(encoding="utf-8")
    assert text.count("\n") > 50
    for path in sorted(SAMPLES.glob("*.eml")):
        mail = parse_mail(path.read_bytes()).mail
        secrets = [mail.subject]
        if mail.sender:
            secrets += [mail.sender.email, mail.sender.name]
        secrets += [line for line in mail.text_body.splitlines() if len(line) > 24]
        for secret in filter(None, secrets):
            assert secret not in text, f"{path.name} leaked into the log"


def test_a_second_serve_on_the_same_data_folder_is_refused(
    server: Server, tmp_path: Path
) -> None:
    """It exits 1 naming the first one; the first keeps its subscriptions."""
    server.start()
    mailbox = LocalMailbox(Path(server.config.runtime.data_dir) / "mailboxes")
    wanted = sum(len(box.folders) for box in server.config.mailboxes)
    deadline = time.monotonic() + 30
    while len(mailbox.list_subscriptions()) < wanted:
        assert time.monotonic() < deadline, "serve made no subscriptions"
        time.sleep(0.1)
    before = [s.id for s in mailbox.list_subscriptions()]
    assert server.process is not None

    command = [sys.executable, "-m", "runtime.cli", "--config", str(server.config_file)]
    second = subprocess.run(
        [*command, "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert second.returncode == 1
    assert f"another mailroom serve (process {server.process.pid})" in second.stderr
    assert "Traceback" not in second.stderr
    assert [s.id for s in mailbox.list_subscriptions()] == before != []
