"""Post JSON bodies to one URL from a few threads; print what was measured.

bench/notifications.py runs this in a process of its own, so the clients
and the server under test do not take turns on one interpreter lock. It
stops after a number of requests or seconds, whichever comes first, and
prints one JSON object: the elapsed seconds, every request's latency in
seconds, and how many answers had each status.

    python bench/loadgen.py URL BODIES.json --requests 2000 --threads 4
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Tally:
    """Hand out request numbers and collect what each request took."""

    requests: int
    deadline: float
    issued: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self) -> int | None:
        """Return the next request's number, or None when the run is over."""
        with self.lock:
            if self.issued >= self.requests or time.perf_counter() > self.deadline:
                return None
            self.issued += 1
            return self.issued - 1

    def record(self, latency: float, status: str) -> None:
        """Keep one request's latency and status."""
        with self.lock:
            self.latencies.append(latency)
            self.statuses[status] += 1


def post_until_done(url: str, bodies: list[bytes], tally: Tally) -> None:
    """Post bodies in turn, one at a time, until the tally says stop."""
    with httpx.Client(timeout=10.0) as client:
        while (number := tally.claim()) is not None:
            body = bodies[number % len(bodies)]
            start = time.perf_counter()
            try:
                response = client.post(url, content=body, headers=JSON_HEADERS)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            tally.record(time.perf_counter() - start, status)


def run_load(
    url: str, bodies: list[bytes], requests: int, threads: int, seconds: float
) -> dict[str, object]:
    """Run the clients and return the measurements as a JSON-ready dict."""
    start = time.perf_counter()
    tally = Tally(requests=requests, deadline=start + seconds)
    workers = [
        threading.Thread(target=post_until_done, args=(url, bodies, tally))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    return {
        "seconds": time.perf_counter() - start,
        "latencies": tally.latencies,
        "statuses": dict(tally.statuses),
    }


def main(argv: list[str] | None = None) -> int:
    """Read the arguments, run the load, print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("bodies", type=Path, help="a JSON list of request bodies")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    options = parser.parse_args(argv)

    texts = json.loads(options.bodies.read_text(encoding="utf-8"))
    bodies = [text.encode("utf-8") for text in texts]
    result = run_load(
        options.url, bodies, options.requests, options.threads, options.seconds
    )
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
