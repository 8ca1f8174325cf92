"""`serve` and `demo` as processes: what they print, and how they stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runtime.config_files import config_file

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
JIRA = {
    "kind": "jira",
    "base_url": "https://jira.example.org",
    "project": "HELP",
    "email": "agent@example.org",
    "api_token": "token",
}


def started(config: Path, *command: str) -> subprocess.Popen[str]:
    """Start `mailroom COMMAND` with its output, unbuffered, on one pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "--config", str(config), *command],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def first_line(process: subprocess.Popen[str], starts: str) -> str:
    """Read output until a line that begins with `starts`; return it."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(starts):
            return line
    raise AssertionError(f"the process ended without printing {starts!r}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Collect started processes; kill any that still runs at the end."""
    running: list[subprocess.Popen[str]] = []
    yield running
    for process in running:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize(
    ("command", "ready"),
    [
        (["serve", "--port", "0"], "Mailroom is serving at"),
        (["demo", "--port", "0", "--samples", "{empty}"], "Tickets:"),
    ],
    ids=["serve", "demo"],
)
def test_sigterm_stops_like_ctrl_c(
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
    command: list[str],
    ready: str,
) -> None:
    """Exit status 0, a `stopping` line, and no serve.pid left behind."""
    (tmp_path / "empty").mkdir()
    args = [arg.format(empty=tmp_path / "empty") for arg in command]
    process = started(config_file(tmp_path), *args)
    processes.append(process)
    first_line(process, ready)
    assert (tmp_path / "data" / "serve.pid").exists()

    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)

    assert process.returncode == 0, rest
    assert "stopping" in rest
    assert not (tmp_path / "data" / "serve.pid").exists()


def test_serve_names_no_ticket_page_without_a_local_tracker(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    """With Jira only, the start line gives the address and nothing more."""
    routes = [{"name": "all", "tools": ["jira"]}]
    config = config_file(tmp_path, trackers={"jira": JIRA}, routes=routes)
    process = started(config, "serve", "--port", "0")
    processes.append(process)

    line = first_line(process, "Mailroom is serving at")
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)

    assert "tracker" not in line and "tickets" not in line
