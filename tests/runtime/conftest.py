"""Start the real local host on a free port over a fresh data folder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import wiring
from runtime.local_host import LocalHost
from runtime.session import SAMPLES, start_host
from tests.pipeline import pipeline_config


@pytest.fixture
def host(tmp_path: Path) -> Iterator[LocalHost]:
    """Yield a running local host whose data lives under tmp_path."""
    base = pipeline_config()
    runtime = base.runtime.model_copy(update={"data_dir": str(tmp_path / "data")})
    running = start_host(base.model_copy(update={"runtime": runtime}), port=0)
    running.run_timers()
    yield running
    running.stop()
    wiring.configure(base)


@pytest.fixture(scope="session")
def sample_expectations() -> dict[str, Any]:
    """Return the sample mailbox's expected outcomes."""
    data: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text())
    return data
