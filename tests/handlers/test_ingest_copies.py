"""Copies of one mail ingested at once decide once, and never answer themselves.

Graph may notify one mail twice, and catch-up can find a mail a slow
ingest is still deciding. A new-user run saw both copies decide: the
second found the threads the first had tied and took the mail for a reply
to its own ticket, so its sender got no acknowledgement.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from handlers import ingest
from handlers.claims import CLAIM_SECONDS, HOLDER_RECHECK, claim
from handlers.deliver import handle_delivery
from handlers.ingest import decide, handle_change
from handlers.stage import run_stage
from mailroom.errors import RetryableError
from mailroom.messages import DeliveryRequest, MailChange
from mailroom.mime import parse_mail
from tests.pipeline import HELPDESK, Pipeline

REFERENCES = " ".join(f"<earlier-{n}@mail.example.com>" for n in range(300))
MAIL = (
    "From: Nora Lindqvist <nora.lindqvist@example.com>\r\n"
    "To: helpdesk@example.org\r\n"
    "Subject: Badge reader at gate 2 rejects every card\r\n"
    "Message-ID: <gate2-badges@mail.example.com>\r\n"
    f"References: {REFERENCES}\r\n"
    "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n"
    "\r\n"
    "Since this morning the reader at gate 2 rejects every badge.\r\n"
).encode()


def notified(pipeline: Pipeline) -> MailChange:
    """Put the mail in the Inbox; return its notification, not yet ingested."""
    pipeline.mailbox.deliver(HELPDESK, MAIL)
    [body] = pipeline.queues["mail-changes"]
    pipeline.queues["mail-changes"].clear()
    return MailChange.model_validate_json(body)


def attempt(change: MailChange, pipeline: Pipeline) -> list[DeliveryRequest] | str:
    """Ingest `change`; return its deliveries, or "retry" when sent back."""
    try:
        return handle_change(change, pipeline.services)
    except RetryableError:
        return "retry"


def test_two_copies_at_once_decide_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both copies are fetched together; one decides, the other goes back
    and, tried again, finds the mail recorded and resumes the same create."""
    pipeline = Pipeline(tmp_path)
    change = notified(pipeline)
    both_fetched = threading.Barrier(2, timeout=10)
    fetch = pipeline.services.mail.fetch_message

    def fetch_together(mailbox: str, item_id: str) -> Any:
        fetched = fetch(mailbox, item_id)
        both_fetched.wait()
        return fetched

    decide_now = ingest.decide

    def decide_slowly(*args: Any) -> Any:
        record = decide_now(*args)
        time.sleep(0.2)  # the widest window: the other copy decides meanwhile
        return record

    monkeypatch.setattr(pipeline.services.mail, "fetch_message", fetch_together)
    monkeypatch.setattr(ingest, "decide", decide_slowly)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: attempt(change, pipeline), range(2)))

    decided = [o for o in outcomes if not isinstance(o, str)]
    assert outcomes.count("retry") == 1
    assert [[r.action for r in d] for d in decided] == [["create"]]
    monkeypatch.undo()
    assert attempt(change, pipeline) == decided[0]
    record = pipeline.ledger.mail(decided[0][0].mail_key)
    assert record is not None
    assert (record.thread_signal, record.route) == ("none", "everything")


def test_a_mail_decided_again_is_not_a_reply_to_its_own_ticket(
    tmp_path: Path,
) -> None:
    """Its ids lead to the ticket it opened; deciding it again finds none."""
    pipeline = Pipeline(tmp_path)
    item_id = pipeline.deliver(MAIL)
    [ticket] = pipeline.tracker.tickets.values()
    key = pipeline.ledger.item(HELPDESK, item_id)
    assert key is not None
    item = pipeline.mailbox.fetch_message(HELPDESK, item_id).item

    again = decide(key, parse_mail(MAIL).mail, item, pipeline.services, pipeline.ledger)

    assert (again.thread_signal, again.route) == ("none", "everything")
    assert [r.action for r in again.deliveries] == ["create"]
    assert len(pipeline.tracker.tickets) == 1 and ticket.comments == []


def test_a_copy_waits_out_a_claim_its_holder_left_behind(tmp_path: Path) -> None:
    """A killed worker's claim sends the copy back to look again a minute
    later, by deferral, so the copy spends no tries and does not land in
    poison while the claim runs out."""
    pipeline = Pipeline(tmp_path)
    change = notified(pipeline)
    fetched = pipeline.services.mail.fetch_message(HELPDESK, change.item_id)
    key = ingest.mail_key(
        HELPDESK, parse_mail(MAIL).mail, change.item_id, fetched.raw, pipeline.config
    )
    left = datetime.now(UTC) - timedelta(seconds=60)
    assert claim(
        pipeline.services.store, f"ingest|{key}", "killed", left, CLAIM_SECONDS
    )

    with pytest.raises(RetryableError) as refused:
        handle_change(change, pipeline.services)
    assert refused.value.retry_after is not None
    assert refused.value.retry_after == HOLDER_RECHECK

    queued: list[tuple[str, str, float]] = []

    class Queues:
        def send(self, queue: str, body: str, delay: float = 0) -> None:
            queued.append((queue, body, delay))

        def move_poison(self, queue: str) -> int:
            return 0

    services = dataclasses.replace(pipeline.services, queues=Queues())
    result = run_stage(
        "ingest",
        change.model_dump_json().encode(),
        MailChange,
        handle_change,
        services,
        queue="mail-changes",
    )
    assert result.poison == [] and result.outputs == []
    [(queue, body, delay)] = queued
    assert (queue, MailChange.model_validate_json(body)) == ("mail-changes", change)
    assert delay == HOLDER_RECHECK


def test_a_delivery_copy_waits_out_a_killed_holder_too(tmp_path: Path) -> None:
    """The same for a delivery; near its end, the wait asked is what is left
    of the claim (20 s here), not a whole minute."""
    pipeline = Pipeline(tmp_path)
    change = notified(pipeline)
    [request] = handle_change(change, pipeline.services)
    left = datetime.now(UTC) - timedelta(seconds=CLAIM_SECONDS - 20)
    lease = f"{request.mail_key}|{request.tool}"
    assert claim(pipeline.services.store, lease, "killed", left, CLAIM_SECONDS)

    with pytest.raises(RetryableError) as refused:
        handle_delivery(request, pipeline.services)
    assert refused.value.retry_after is not None
    assert 19 < refused.value.retry_after <= 21 < HOLDER_RECHECK
    assert pipeline.tracker.tickets == {}
