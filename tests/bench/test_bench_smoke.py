"""Each benchmark runs on a tiny load and prints its tables with figures.

A smoke test only: it checks that the scripts run and report positive
numbers, never how fast anything is.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.slow
BENCH = Path(__file__).resolve().parents[2] / "bench"
Table = list[dict[str, str]]
Loader = Callable[[str], ModuleType]


@pytest.fixture
def load_bench(monkeypatch: pytest.MonkeyPatch) -> Loader:
    """Return a loader of bench/<name>.py, with bench/ on the import path."""
    monkeypatch.syspath_prepend(str(BENCH))

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(
            f"bench_{name}", BENCH / f"{name}.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, module)
        spec.loader.exec_module(module)
        return module

    return load


def table(output: str, title: str) -> Table:
    """Return the rows of the printed table whose title starts with `title`."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    headers = cells(lines[start + 1])
    rows = []
    for line in lines[start + 3 :]:
        if not line.strip():
            break
        rows.append(dict(zip(headers, cells(line), strict=True)))
    return rows


def cells(line: str) -> list[str]:
    """Split a table line into its cells (columns are two spaces apart)."""
    return re.split(r"\s{2,}", line.strip())


def test_notifications_prints_throughput_and_queue_tables(
    load_bench: Loader, capsys: pytest.CaptureFixture[str]
) -> None:
    """Twenty requests per run: every row has requests/s and a p50."""
    bench = load_bench("notifications")
    assert bench.main(["--requests=20", "--seconds=20", "--threads=2"]) == 0

    output = capsys.readouterr().out
    rows = table(output, "POST /api/notifications")
    assert [row["requests"] for row in rows] == ["20", "20", "20"]
    assert all(float(row["requests/s"]) > 0 for row in rows)
    assert all(float(row["p50 ms"]) > 0 for row in rows)
    assert all(row["non-202"] == "0" for row in rows)
    assert len(table(output, "mail-changes when each host run ended")) == 2


def test_pipeline_prints_mails_per_second_for_the_samples(
    load_bench: Loader, capsys: pytest.CaptureFixture[str]
) -> None:
    """The samples run one at a time and all at once, with a parse baseline."""
    bench = load_bench("pipeline")
    assert bench.main(["--samples-only"]) == 0

    rows = table(capsys.readouterr().out, "deliver -> notify")
    assert [row["delivery"] for row in rows] == ["one at a time", "all at once"]
    for row in rows:
        assert row["mails"] == "13"
        assert float(row["mails/s"]) > 0
        assert int(row["tickets"]) > 0
        assert float(row["parse-only mails/s"]) > 0


def test_parse_decide_prints_rates_and_stages(
    load_bench: Loader, capsys: pytest.CaptureFixture[str]
) -> None:
    """One pass over the samples: three rates, then every stage's share."""
    bench = load_bench("parse_decide")
    assert bench.main(["--samples-only", "--repeats=1"]) == 0

    output = capsys.readouterr().out
    rows = table(output, "throughput")
    assert len(rows) == 3
    assert all(float(row["mails/s"]) > 0 for row in rows)
    stages = table(output, "one parse_mail + decide pass")
    assert [row["stage"] for row in stages] == [
        "parse_mail",
        "classify",
        "decide_thread",
        "choose_route",
        "extract_fields",
    ]
    assert all(float(row["ms/mail"]) > 0 for row in stages)


def test_large_mail_prints_memory_growth_for_both_modes(
    load_bench: Loader, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 30 MB file: past the 25 MB limit, so the streamed mode leaves it off."""
    bench = load_bench("large_mail")
    bench.main(["--mb=30"])

    rows = table(capsys.readouterr().out, "Fetch and parse")
    assert [row["mode"] for row in rows] == ["memory", "stream"]
    assert all(float(row["seconds"]) > 0 for row in rows)
    assert float(rows[0]["skeleton KB"]) > 30 * 1024
    assert float(rows[1]["skeleton KB"]) < 4
