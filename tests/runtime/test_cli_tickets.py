"""`mailroom tickets` shows the URLs that the tickets were recorded with."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from adapters.state.sqlite import SqliteStore
from handlers.ledger import DeliveryRecord, Ledger
from mailroom.config import Config
from mailroom.models import Attachment, TicketDraft, TicketRef
from runtime import wiring
from runtime.cli import main
from tests.runtime.config_files import config_file

SERVED = "http://127.0.0.1:7181"
DATA = b"printer log"


def served_on(config: Config, url: str) -> Config:
    """Return `config` as `serve --port` runs it: public_url is the bound one."""
    runtime = config.runtime.model_copy(update={"public_url": url})
    return config.model_copy(update={"runtime": runtime})


def open_ticket(config: Config, correlation_id: str, action: str) -> TicketRef:
    """Open a ticket with a file as `config` serves, and record its delivery."""
    tracker = wiring.local_trackers(config)["local"]
    draft = TicketDraft(correlation_id=correlation_id, summary="VPN", description="d")
    ref = tracker.create_ticket(draft)
    digest = hashlib.sha256(DATA).hexdigest()
    file = Attachment(
        filename="log.txt", content_type="text/plain", size=len(DATA), sha256=digest
    )
    tracker.attach(ref.key, file, DATA)
    tracker.close()

    ledger = Ledger(SqliteStore(wiring.data_dir(config) / "state.sqlite3"))
    record = DeliveryRecord(ticket=ref, action=action)
    ledger.save_delivery(correlation_id, "local", record)
    return ref


def listed(config: Path) -> list[dict[str, Any]]:
    """Return the local tracker's tickets as `tickets --json` prints them."""
    result = CliRunner().invoke(main, ["--config", str(config), "tickets", "--json"])
    assert result.exit_code == 0, result.output
    tickets: list[dict[str, Any]] = json.loads(result.stdout)["local"]
    return tickets


def test_a_ticket_opened_by_serve_on_another_port_keeps_its_url(
    tmp_path: Path,
) -> None:
    """public_url says 7071, serve --port 7181 gave out 7181: 7181 is listed."""
    path = config_file(tmp_path)
    ref = open_ticket(served_on(wiring.load_config(path), SERVED), "m-1", "create")

    [ticket] = listed(path)

    assert ref.url == f"{SERVED}/tracker/HELP-1"
    assert ticket["url"] == ref.url
    [file] = ticket["attachments"]
    assert file["url"] == f"{SERVED}/tracker/HELP-1/files/log.txt"


def test_a_ticket_without_a_recorded_delivery_shows_the_built_url(
    tmp_path: Path,
) -> None:
    """Nothing recorded: the URL on runtime.public_url, as before."""
    path = config_file(tmp_path)
    tracker = wiring.local_trackers(wiring.load_config(path))["local"]
    draft = TicketDraft(correlation_id="m-1", summary="VPN", description="d")
    tracker.create_ticket(draft)
    tracker.close()

    [ticket] = listed(path)

    assert ticket["url"] == "http://127.0.0.1:7071/tracker/HELP-1"


def test_the_opening_delivery_wins_over_a_later_comment(tmp_path: Path) -> None:
    """A reply delivered under another port does not move the ticket's URL."""
    path = config_file(tmp_path)
    config = wiring.load_config(path)
    ref = open_ticket(served_on(config, SERVED), "m-1", "create")
    later = ref.model_copy(update={"url": "http://127.0.0.1:7999/tracker/HELP-1"})
    ledger = Ledger(SqliteStore(wiring.data_dir(config) / "state.sqlite3"))
    ledger.save_delivery("m-2", "local", DeliveryRecord(ticket=later, action="comment"))

    [ticket] = listed(path)

    assert ticket["url"] == ref.url
