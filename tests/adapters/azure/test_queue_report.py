"""`mailroom queues --poison` on Azure Storage queues and the Table ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from adapters.azure_storage import StorageAccount
from adapters.queues.azure import AzureQueues
from adapters.state.table import TableStore
from handlers.stage import message_hash
from mailroom.config import StorageConfig
from runtime.cli import main
from tests.runtime.config_files import config_file

pytestmark = pytest.mark.slow


def test_a_quarantined_azure_message_shows_its_ledger_reason(
    tmp_path: Path, storage: StorageConfig, account: StorageAccount
) -> None:
    """Azure keeps no reason with a message; the Table ledger's is shown."""
    body = '{"not": "a delivery request"}'
    AzureQueues(account).send("deliveries-poison", body)
    record = {"stage": "deliver", "reason": "not a DeliveryRequest", "at": "now"}
    TableStore(account).upsert("quarantine", message_hash(body.encode()), record)
    secret = storage.connection_string
    assert secret is not None
    settings = storage.model_dump(mode="json")
    config = config_file(
        tmp_path, storage=settings | {"connection_string": secret.get_secret_value()}
    )

    result = CliRunner().invoke(
        main, ["--config", str(config), "queues", "--poison", "--json"]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    depths = {row["queue"]: row["poison"] for row in report["queues"]}
    assert depths["deliveries"] == 1
    [detail] = report["poison"]
    assert (detail["stage"], detail["reason"]) == ("deliver", "not a DeliveryRequest")
    assert not (tmp_path / "data").exists()
