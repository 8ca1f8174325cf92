"""`mailroom queues`: each queue's depth, and why each poison message failed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from adapters.queues.sqlite import SqliteQueues
from handlers.stage import message_hash
from runtime import wiring
from runtime.cli import main
from runtime.local_host import LocalHost
from runtime.queue_report import QUARANTINE
from tests.runtime.config_files import config_file

GRAPH_URL = "https://graph.microsoft.com/v1.0/users/dana@example.com/messages/AAMk1"
BODY = '{"mail_key": "m-1", "mailbox": "dana@example.com", "note": "secret-body"}'


def local_queues(tmp_path: Path) -> tuple[Path, SqliteQueues]:
    """Return a configuration and the SQLite queues of its data folder."""
    config = config_file(tmp_path)
    queues = wiring.local_queues(wiring.load_config(config))
    assert isinstance(queues, SqliteQueues)
    return config, queues


def poison(queues: SqliteQueues, queue: str, body: str, reason: str) -> str:
    """Put one message in `queue`'s poison queue as the host does; return its id."""
    queues.send(queue, body)
    message = queues.receive(queue, 30, "test")
    assert message is not None
    queues.move_to_poison(queue, message.id, message.pop_token, reason)
    return message.id


def test_queues_prints_each_queues_depth_and_poison_count(tmp_path: Path) -> None:
    """Two waiting deliveries and one poison message show in their rows."""
    config, queues = local_queues(tmp_path)
    queues.send("deliveries", '{"n": 1}')
    queues.send("deliveries", '{"n": 2}')
    poison(queues, "acknowledgements", '{"n": 3}', "gave up after 5 tries")

    result = CliRunner().invoke(main, ["--config", str(config), "queues"])

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()}
    assert rows["queue"] == ["depth", "poison"]
    assert rows["deliveries"] == ["2", "0"]
    assert rows["acknowledgements"] == ["0", "1"]


def test_poison_lists_ids_and_reasons_without_body_or_address(tmp_path: Path) -> None:
    """The id, tries and reason show; the body and the address in it do not."""
    config, queues = local_queues(tmp_path)
    reason = f"gave up after 5 tries; the last failed with HTTPError: {GRAPH_URL}"
    message_id = poison(queues, "deliveries", BODY, reason)

    result = CliRunner().invoke(main, ["--config", str(config), "queues", "--poison"])

    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if message_id in line]
    assert line.startswith(f"deliveries-poison  {message_id}  dequeued 1  gave up")
    assert "users/(address)/messages" in line
    assert "dana@example.com" not in result.output
    assert "secret-body" not in result.output


def test_a_quarantined_message_shows_the_reason_its_stage_recorded(
    tmp_path: Path, host: LocalHost
) -> None:
    """The queue stores no reason for it; the ledger's quarantine table does."""
    host.queues.send("deliveries", '{"not": "a delivery request"}')
    assert host.wait_idle(30)
    database = tmp_path / "data" / "queues.sqlite3"
    with sqlite3.connect(database) as db:
        [(stored_reason,)] = db.execute(
            "SELECT reason FROM messages WHERE queue = 'deliveries-poison'"
        ).fetchall()
    config = config_file(tmp_path)

    result = CliRunner().invoke(
        main, ["--config", str(config), "queues", "--poison", "--json"]
    )

    assert stored_reason is None
    [detail] = json.loads(result.output)["poison"]
    assert (detail["queue"], detail["stage"]) == ("deliveries", "deliver")
    assert detail["reason"] == "the deliver message is not a valid DeliveryRequest"


def test_two_copies_of_a_refused_delivery_are_one_poison_entry(
    tmp_path: Path, host: LocalHost
) -> None:
    """A replayed delivery and the copy catch-up sent again: one entry, 1 try."""
    delivery = '{"mail_key": "m-404", "tool": "local", "action": "create"}'
    host.queues.send("deliveries", delivery)
    host.queues.send("deliveries", delivery)
    assert host.wait_idle(30)
    config = config_file(tmp_path)

    result = CliRunner().invoke(
        main, ["--config", str(config), "queues", "--poison", "--json"]
    )

    [detail] = json.loads(result.output)["poison"]
    assert (detail["stage"], detail["dequeue_count"]) == ("deliver", 1)
    assert detail["reason"].startswith("no ingest record for mail m-404;")


def test_the_queues_own_reason_wins_over_an_older_quarantine(
    tmp_path: Path,
) -> None:
    """A message quarantined once, replayed, then given up on shows the last."""
    config, queues = local_queues(tmp_path)
    store, _ = wiring.storage_ports(wiring.load_config(config))
    digest = message_hash(BODY.encode())
    store.upsert(QUARANTINE, digest, {"stage": "deliver", "reason": "old", "at": "x"})
    poison(queues, "deliveries", BODY, "gave up after 5 tries")

    result = CliRunner().invoke(
        main, ["--config", str(config), "queues", "--poison", "--json"]
    )

    [detail] = json.loads(result.output)["poison"]
    assert (detail["stage"], detail["reason"]) == (None, "gave up after 5 tries")


def test_queues_needs_a_data_folder_and_creates_none(tmp_path: Path) -> None:
    """Without a data folder, `queues` says what to do, as `replay` does."""
    config = config_file(tmp_path)

    result = CliRunner().invoke(main, ["--config", str(config), "queues"])

    assert result.exit_code == 1
    assert "there is no data folder" in result.output
    assert not (tmp_path / "data").exists()
