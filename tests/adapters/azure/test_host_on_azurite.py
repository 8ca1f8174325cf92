"""The real local host with `storage.kind: azure`: queues, tables, blobs on Azurite.

Configuration alone swaps SQLite for Azure Storage; the sample mailbox must
then end exactly as it does on SQLite (tests/runtime/test_sample_mailbox.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.queues.azure import AzureQueues
from adapters.state.table import TableStore
from mailroom.config import StorageConfig
from runtime import wiring
from runtime.local_host import LocalHost
from runtime.session import SAMPLES, start_host
from tests.pipeline import pipeline_config
from tests.runtime.test_sample_mailbox import (
    check_acknowledgements,
    check_outcomes,
    deliver_samples,
)

pytestmark = pytest.mark.slow
EXPECTED: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text())


@pytest.fixture
def host(tmp_path: Path, storage: StorageConfig) -> Iterator[LocalHost]:
    """Yield the local host serving the app over this test's Azurite names."""
    base = pipeline_config()
    runtime = base.runtime.model_copy(update={"data_dir": str(tmp_path / "data")})
    config = base.model_copy(update={"runtime": runtime, "storage": storage})
    running = start_host(config, port=0)
    running.run_timers()
    yield running
    running.stop()
    wiring.configure(base)


def test_the_configuration_puts_queues_and_state_on_azure(host: LocalHost) -> None:
    """No SQLite queue or state file is made; the ports are the Azure ones."""
    assert isinstance(host.queues, AzureQueues)
    assert isinstance(wiring.services().store, TableStore)
    data = Path(wiring.settings().runtime.data_dir)
    assert not (data / "queues.sqlite3").exists()
    assert not (data / "state.sqlite3").exists()


def test_samples_end_as_on_sqlite(host: LocalHost) -> None:
    """Tickets, comments, skips and one acknowledgement per ticket, as expected."""
    deliver_samples(host)
    check_outcomes(EXPECTED)
    check_acknowledgements(EXPECTED)
    assert host.queues.poison_counts() == {}
