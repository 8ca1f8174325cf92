"""What the benchmarks share: mail sets, a host on a fresh folder, tables.

The scripts in bench/ import this module by its bare name, which works
because Python puts a script's own folder first on the import path.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from mailroom.config import Config
from runtime import wiring
from runtime.local_host import LocalHost
from runtime.session import SAMPLES, start_host

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
HELPDESK = "helpdesk@example.org"

Row = Sequence[object]


def sample_files() -> list[Path]:
    """Return the sample mailbox's mails in file-name order."""
    return sorted(SAMPLES.glob("*.eml"))


def corpus_files() -> list[Path] | None:
    """Return the corpus mails listed in expected.jsonl, or None if absent."""
    listing = CORPUS / "expected.jsonl"
    if not listing.is_file():
        return None
    lines = listing.read_text(encoding="utf-8").splitlines()
    return [CORPUS / json.loads(line)["file"] for line in lines if line.strip()]


def say_corpus_absent() -> None:
    """Tell the reader that the corpus part was skipped, and why."""
    print(f"corpus: skipped, {CORPUS} is absent (only CI and developers have it)")


def config_for(data_dir: Path) -> Config:
    """Return the embedded configuration with its data under `data_dir`."""
    config = wiring.load_config()
    runtime = config.runtime.model_copy(update={"data_dir": str(data_dir)})
    return config.model_copy(update={"runtime": runtime})


@contextmanager
def running_host(data_dir: Path, subscribe: bool = False) -> Iterator[LocalHost]:
    """Run the real local host over `data_dir` on a free port.

    With `subscribe`, the timers run once first, so the local mailbox holds
    subscriptions and notifies the host of every delivery. The process's
    previous configuration is restored on the way out.
    """
    previous = wiring.settings()
    host = start_host(config_for(data_dir), port=0)
    try:
        if subscribe:
            host.run_timers()
        yield host
    finally:
        host.stop()
        # Close the queue connections now rather than whenever the host's
        # reference cycles are collected, so one run's files do not linger.
        host.queues.close()
        wiring.configure(previous)


def wait_drained(host: LocalHost, timeout: float = 120.0) -> bool:
    """Wait until every queue is empty, polling finely; False on time-out.

    The host's own wait_idle settles for 0.3 s, which would count as work
    in a run of a few seconds.
    """
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if host.queues.pending() == 0:
            return True
        time.sleep(0.005)
    return False


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    """Run `work` `repeats` times and return the median duration."""
    durations = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile of `values` (share in 0..1)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def rate(count: float, seconds: float) -> float:
    """Return count per second, or 0 when nothing was timed."""
    return count / seconds if seconds > 0 else 0.0


def open_files() -> int | None:
    """Count this process's open file descriptors, where Linux shows them."""
    folder = Path("/proc/self/fd")
    return len(os.listdir(folder)) if folder.is_dir() else None


def print_header(name: str) -> None:
    """Print what ran, where and when."""
    cores = os.cpu_count() or 0
    print(
        f"bench {name}: {date.today().isoformat()}, Python "
        f"{platform.python_version()}, {platform.system()}, {cores} cores"
    )


def print_table(title: str, headers: Sequence[str], rows: Sequence[Row]) -> None:
    """Print a plain text table: a title, a header line, aligned columns."""
    cells = [list(headers), *([format_cell(value) for value in row] for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    print()
    print(title)
    for index, line in enumerate(cells):
        first = line[0].ljust(widths[0])
        rest = [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join([first, *rest]).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))


def format_cell(value: object) -> str:
    """Format one table cell: floats to about three significant digits."""
    if isinstance(value, float):
        if value >= 100:
            return f"{value:.0f}"
        if value >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)
