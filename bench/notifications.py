"""Throughput and latency of POST /api/notifications on the real local host.

Each run starts the host over a fresh data folder, so no backlog from an
earlier run keeps its queue workers busy, and posts Graph-shaped change
notification batches that carry a clientState issued with the configured
secret: one notification per POST, then ten. The baseline is the same load
against a stdlib http.server that only answers 202, which shows what the
host itself adds. Clients run in a separate process (bench/loadgen.py).

    python bench/notifications.py [--requests 2000] [--seconds 15]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from benchlib import (
    HELPDESK,
    config_for,
    open_files,
    percentile,
    print_header,
    print_table,
    rate,
    running_host,
)

from mailroom.client_state import issue_client_state

LOADGEN = Path(__file__).with_name("loadgen.py")
ROUTE = "/api/notifications"
WARM_UP = 20
DISTINCT_BODIES = 200
TENANT = "00000000-0000-4000-8000-00000000b0b0"


@dataclass
class Options:
    """How much load to apply."""

    requests: int
    seconds: float
    threads: int


@dataclass
class QueueState:
    """What a host run left behind: queued messages and open files."""

    depth: int
    poison: int
    files_before: int | None
    files_after: int | None


@dataclass
class Run:
    """What one load run measured."""

    label: str
    batch: int
    seconds: float
    latencies: list[float]
    statuses: dict[str, int]
    warmed: int
    queues: QueueState | None = None

    @property
    def requests(self) -> int:
        """Return how many requests completed."""
        return len(self.latencies)

    @property
    def errors(self) -> int:
        """Return how many requests did not get 202."""
        return sum(n for status, n in self.statuses.items() if status != "202")


def notification(secret: str, subscription_id: str) -> dict[str, Any]:
    """Return one Graph change notification for a mail that does not exist."""
    item_id = "AAMk" + uuid.uuid4().hex
    resource = f"Users/{HELPDESK}/Messages/{item_id}"
    return {
        "subscriptionId": subscription_id,
        "subscriptionExpirationDateTime": "2099-01-01T00:00:00.000Z",
        "changeType": "created",
        "resource": resource,
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Message",
            "@odata.id": resource,
            "id": item_id,
        },
        "clientState": issue_client_state(secret, uuid.uuid4().hex),
        "tenantId": TENANT,
    }


def notification_bodies(secret: str, batch: int) -> list[str]:
    """Return distinct changeNotificationCollection bodies of `batch` each."""
    subscription_id = str(uuid.uuid4())
    return [
        json.dumps(
            {"value": [notification(secret, subscription_id) for _ in range(batch)]}
        )
        for _ in range(DISTINCT_BODIES)
    ]


def apply_load(url: str, bodies: list[str], options: Options, scratch: Path) -> Any:
    """Warm the server up, then run bench/loadgen.py against it."""
    with httpx.Client(timeout=10.0) as client:
        answers = [client.post(url, content=body.encode()) for body in bodies[:WARM_UP]]
    warmed = sum(answer.status_code == 202 for answer in answers)

    listing = scratch / f"bodies-{uuid.uuid4().hex}.json"
    listing.write_text(json.dumps(bodies), encoding="utf-8")
    command = [
        sys.executable,
        str(LOADGEN),
        url,
        str(listing),
        f"--requests={options.requests}",
        f"--threads={options.threads}",
        f"--seconds={options.seconds}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return {**json.loads(done.stdout), "warmed": warmed}


class Accept(BaseHTTPRequestHandler):
    """Read the body and answer 202, nothing else."""

    def do_POST(self) -> None:
        """Answer a POST with an empty 202."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the access log out of the figures."""


@contextmanager
def trivial_server() -> Iterator[str]:
    """Serve Accept on a free port of 127.0.0.1 and yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{ROUTE}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def measure_baseline(options: Options, scratch: Path) -> Run:
    """Measure the load against the trivial server."""
    secret = config_for(scratch).mail.client_state_secret.get_secret_value()
    with trivial_server() as url:
        result = apply_load(url, notification_bodies(secret, 1), options, scratch)
    return Run("http.server 202 (baseline)", 1, **result)


def measure_host(options: Options, batch: int, scratch: Path) -> Run:
    """Measure the load against the local host over a fresh data folder."""
    data = scratch / f"host-batch-{batch}"
    secret = config_for(data).mail.client_state_secret.get_secret_value()
    bodies = notification_bodies(secret, batch)
    with running_host(data) as host:
        files_before = open_files()
        result = apply_load(host.url + ROUTE, bodies, options, scratch)
        queues = QueueState(
            depth=host.queues.depth("mail-changes"),
            poison=sum(host.queues.poison_counts().values()),
            files_before=files_before,
            files_after=open_files(),
        )
    label = f"host, {batch} notification{'s' if batch > 1 else ''}/POST"
    return Run(label, batch, **result, queues=queues)


THROUGHPUT_COLUMNS = (
    "server",
    "requests",
    "notifications",
    "seconds",
    "requests/s",
    "notifications/s",
    "p50 ms",
    "p99 ms",
    "non-202",
    "ratio",
)
QUEUE_COLUMNS = (
    "server",
    "enqueued",
    "still queued",
    "poison",
    "drained/s",
    "open files before",
    "open files after",
)


def print_runs(runs: list[Run]) -> None:
    """Print the throughput table, then the queue table of the host runs."""
    base = rate(runs[0].requests, runs[0].seconds)
    print_table(
        "POST /api/notifications (ratio = requests/s over the baseline's)",
        THROUGHPUT_COLUMNS,
        [throughput_row(run, base) for run in runs],
    )
    print_table(
        "mail-changes when each host run ended (accepted warm-up included; the "
        "ingest workers drain meanwhile, recording each unknown item as gone)",
        QUEUE_COLUMNS,
        [queue_row(run, run.queues) for run in runs if run.queues is not None],
    )


def throughput_row(run: Run, base: float) -> tuple[object, ...]:
    """Return a run's line of the throughput table."""
    notifications = run.requests * run.batch
    return (
        run.label,
        run.requests,
        notifications,
        run.seconds,
        rate(run.requests, run.seconds),
        rate(notifications, run.seconds),
        percentile(run.latencies, 0.50) * 1000,
        percentile(run.latencies, 0.99) * 1000,
        run.errors,
        rate(run.requests, run.seconds) / base if base else 0.0,
    )


def queue_row(run: Run, queues: QueueState) -> tuple[object, ...]:
    """Return a host run's line of the queue table."""
    enqueued = (run.statuses.get("202", 0) + run.warmed) * run.batch
    return (
        run.label,
        enqueued,
        queues.depth,
        queues.poison,
        rate(enqueued - queues.depth, run.seconds),
        count(queues.files_before),
        count(queues.files_after),
    )


def count(value: int | None) -> object:
    """Show a count that this platform may not provide."""
    return "n/a" if value is None else value


def parse_options(argv: list[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=15.0, help="per run")
    parser.add_argument("--threads", type=int, default=4)
    values = parser.parse_args(argv)
    return Options(values.requests, values.seconds, values.threads)


def main(argv: list[str] | None = None) -> int:
    """Run the baseline and both host runs; print the tables."""
    options = parse_options(argv)
    print_header("notifications")
    print(
        f"{options.requests} requests or {options.seconds:g} s per run, "
        f"{options.threads} client threads in a separate process"
    )
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-") as folder:
        scratch = Path(folder)
        runs = [measure_baseline(options, scratch)]
        runs += [measure_host(options, batch, scratch) for batch in (1, 10)]
    print_runs(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
