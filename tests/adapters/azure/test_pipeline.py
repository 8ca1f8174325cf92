"""The sample mailbox through queues, tables and blobs on Azurite.

The outcomes are the ones samples/mailbox/expected.json gives for the
SQLite run of the same mailbox (tests/runtime/test_sample_mailbox.py).
"""

from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from handlers.ingest import mail_key
from handlers.ledger import Ledger, MailRecord
from mailroom.config import StorageConfig
from mailroom.mime import parse_mail
from runtime.session import SAMPLES
from tests.adapters.azure.harness import HELPDESK, AzurePipeline
from tests.runtime.test_sample_mailbox import check_comment, check_ticket

pytestmark = pytest.mark.slow
EXPECTED: dict[str, Any] = json.loads((SAMPLES / "expected.json").read_text())


@pytest.fixture
def pipeline(tmp_path: Path, storage: StorageConfig) -> AzurePipeline:
    """Return the stages over Azurite with every sample delivered in order."""
    running = AzurePipeline(tmp_path, storage)
    for path in sorted(SAMPLES.glob("*.eml")):
        running.deliver(path.read_bytes())
    return running


def record_of(pipeline: AzurePipeline, file: str) -> MailRecord:
    """Return the ledger record of a sample, read from Table storage."""
    raw = (SAMPLES / file).read_bytes()
    key = mail_key(HELPDESK, parse_mail(raw).mail, None, raw, pipeline.config)
    record = Ledger(pipeline.services.store).mail(key)
    assert record is not None, file
    return record


def sent(pipeline: AzurePipeline) -> list[EmailMessage]:
    """Return what the helpdesk sent."""
    box = pipeline.mailbox
    raws = [
        box.read(HELPDESK, "SentItems", i) for i in box.items(HELPDESK, "SentItems")
    ]
    return [email.message_from_bytes(r, policy=policy.default) for r in raws]


def test_samples_end_as_with_sqlite(pipeline: AzurePipeline) -> None:
    """Tickets, comments and skips are those of expected.json."""
    views = {view.key: view for view in pipeline.tracker.list_tickets()}
    same_keys = {key: key for key in views}

    for expected in EXPECTED["messages"]:
        record = record_of(pipeline, expected["file"])
        if expected["outcome"] == "ticket":
            check_ticket(views[expected["ticket"]], expected, same_keys)
        elif expected["outcome"] == "comment":
            check_comment(views[expected["ticket"]], expected)
        else:
            assert (record.status, record.kind) == ("skipped", expected["skip_kind"])
    tickets = [m["ticket"] for m in EXPECTED["messages"] if m["outcome"] == "ticket"]
    assert sorted(views) == sorted(tickets)


def test_each_new_ticket_is_acknowledged_once(pipeline: AzurePipeline) -> None:
    """One reply per acknowledged sample, to its requester, and nothing left over."""
    replies = {mail["In-Reply-To"]: mail for mail in sent(pipeline)}
    wanted = [m for m in EXPECTED["messages"] if m["acknowledged"]]

    assert len(replies) == len(sent(pipeline)) == len(wanted)
    for expected in wanted:
        to = replies[expected["message_id"]]["To"].addresses[0].addr_spec
        assert to == expected["requester"]["email"]
    assert pipeline.queues.pending() == 0
    assert pipeline.queues.poison_counts() == {}
