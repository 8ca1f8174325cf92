"""Start Azurite, the Azure Storage emulator, on loopback for the tests.

scripts/test.sh installs Azurite from npm into .azurite/. Each service
listens on a port the system picks; the ports are read from Azurite's own
start-up lines in its log file, and each is checked to accept connections
before use.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
BINARY = REPO / ".azurite" / "node_modules" / ".bin" / "azurite"
SERVICES = ("Blob", "Queue", "Table")
START_SECONDS = 60
# Azurite's well-known development account, the same in every installation.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
    "K1SZFPTOtr/KBHBeksoGMGw=="
)
_LISTENING = re.compile(
    r"Azurite (Blob|Queue|Table) service is successfully listening at "
    r"http://127\.0\.0\.1:(\d+)"
)


@dataclass
class Azurite:
    """A running Azurite and how to reach it."""

    process: subprocess.Popen[bytes]
    ports: dict[str, int]
    started_in: float

    @property
    def connection_string(self) -> str:
        """Return the connection string of the development account."""
        endpoints = ";".join(
            f"{service}Endpoint=http://127.0.0.1:{port}/{ACCOUNT}"
            for service, port in self.ports.items()
        )
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};"
            f"AccountKey={ACCOUNT_KEY};{endpoints};"
        )

    def stop(self) -> None:
        """Stop Azurite and wait for it to exit."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_azurite(workspace: Path) -> Azurite:
    """Start Azurite in memory and return once every service accepts."""
    if not os.access(BINARY, os.X_OK):
        raise FileNotFoundError(
            f"Azurite is not installed at {BINARY.relative_to(REPO)}; run "
            "`bash scripts/test.sh` (it installs Azurite from npm into "
            ".azurite/) or `npm install --prefix .azurite azurite`"
        )

    began = time.monotonic()
    log = workspace / "azurite.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [str(BINARY), *_arguments(workspace)],
            cwd=workspace,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        ports = _read_ports(process, log, began + START_SECONDS)
        for port in ports.values():
            _wait_for_port(port, began + START_SECONDS)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return Azurite(process, ports, time.monotonic() - began)


def _arguments(workspace: Path) -> list[str]:
    """Return Azurite's options: loopback, any free port, nothing on disk."""
    ports = [f"--{s.lower()}Port=0" for s in SERVICES]
    hosts = [f"--{s.lower()}Host=127.0.0.1" for s in SERVICES]
    return [
        *ports,
        *hosts,
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--loose",
        "--disableTelemetry",
        "--silent",
        "--extentMemoryLimit=512",
    ]


def _read_ports(
    process: subprocess.Popen[bytes], log: Path, deadline: float
) -> dict[str, int]:
    """Read the port of each service from Azurite's start-up lines."""
    while True:
        text = log.read_text(encoding="utf-8", errors="replace")
        ports = {m.group(1): int(m.group(2)) for m in _LISTENING.finditer(text)}
        if len(ports) == len(SERVICES):
            return ports
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"Azurite did not start (exit code {process.poll()}); its "
                f"output was:\n{text[-2000:]}"
            )
        time.sleep(0.05)


def _wait_for_port(port: int, deadline: float) -> None:
    """Wait until a TCP connection to the port succeeds."""
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
