"""`mailroom check` run as a user runs it, against a sign-in it cannot reach."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

GRAPH = {
    "kind": "graph",
    "client_state_secret": "graph-test-client-state",
    "graph": {"tenant_id": "tenant", "client_id": "client", "client_secret": "s3"},
}


def closed_port() -> int:
    """Return a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_check_without_a_sign_in_endpoint_reports_cleanly(tmp_path: Path) -> None:
    """One FAIL line, whole, that says what to check; no library log lines."""
    config = tmp_path / "graph.yaml"
    data = yaml.safe_load((REPO / "runtime" / "default.yaml").read_text())
    data["mail"] = GRAPH
    config.write_text(yaml.safe_dump(data))
    own = {k: v for k, v in os.environ.items() if not k.startswith("MAILROOM")}
    own.pop("COLUMNS", None)
    environ = {**own, "AZURE_AUTHORITY_HOST": f"https://127.0.0.1:{closed_port()}"}
    command = [sys.executable, "-m", "runtime.cli", "--config", str(config), "check"]

    result = subprocess.run(
        command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 1
    [failed] = [line for line in result.stdout.splitlines() if "FAIL" in line]
    assert failed.startswith("FAIL sign-in") and "tenant_id" in failed
    assert "%s" not in result.stderr
    assert "Unclosed" not in result.stderr
    assert "azure.identity" not in result.stderr
