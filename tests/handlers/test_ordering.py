"""A reply ingested before its original's ticket exists still threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from handlers import ingest
from handlers.claims import claim, release
from handlers.deliver import ORIGINAL_DELAYED, SOON, handle_delivery
from handlers.ingest import handle_change
from handlers.services import Services
from handlers.stage import run_stage
from mailroom.errors import RetryableError
from mailroom.messages import DeliveryRequest, MailChange
from runtime.session import SAMPLES
from tests.handlers.test_stage_deferral import SentQueues
from tests.pipeline import HELPDESK, Pipeline

ORIGINAL = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
REPLY = (SAMPLES / "03-reply-to-vpn-outlook-quote.eml").read_bytes()
NEW_SUBJECT = (SAMPLES / "06-reply-with-new-subject.eml").read_bytes()
SECOND = (SAMPLES / "02-calendar-sync-key-equals.eml").read_bytes()
SECOND_REPLY = (
    b"From: Tomas Berg <tomas.berg@example.org>\r\n"
    b"To: helpdesk@example.org\r\n"
    b"Subject: RE: VPN down\r\n"
    b"Message-ID: <second-reply-1@example.org>\r\n"
    b"In-Reply-To: <LL1P192MB0418C2D7E95A3B1F04E6@example.com>\r\n"
    b"References: <LL1P192MB0418C2D7E95A3B1F04E6@example.com>\r\n"
    b"Date: Mon, 03 Mar 2025 10:30:00 +0000\r\n"
    b"\r\n"
    b"Same here on the second floor.\r\n"
)


def test_a_reply_ingested_before_the_ticket_exists_becomes_its_comment(
    tmp_path: Path,
) -> None:
    """Both mails are ingested before either is delivered: one ticket."""
    pipeline = Pipeline(tmp_path)
    pipeline.mailbox.deliver(HELPDESK, ORIGINAL)
    pipeline.mailbox.deliver(HELPDESK, REPLY)
    pipeline.drain()

    [ticket] = pipeline.tracker.tickets.values()
    assert [c.author.email for c in ticket.comments if c.author] == [
        "ingrid.halvorsen@example.com"
    ]
    assert pipeline.poison == []


def test_a_subject_change_links_to_a_ticket_opened_in_the_same_burst(
    tmp_path: Path,
) -> None:
    """The follow-up links to the original's ticket once that exists."""
    pipeline = Pipeline(tmp_path)
    pipeline.mailbox.deliver(HELPDESK, SECOND)
    pipeline.mailbox.deliver(HELPDESK, NEW_SUBJECT)
    pipeline.drain()

    links = [link for t in pipeline.tracker.tickets.values() for link in t.links]
    assert links == [("follows-up", "HELP-1")]


def test_a_comment_waits_while_its_ticket_is_still_being_opened(
    tmp_path: Path,
) -> None:
    """Delivered first, the reply's comment asks to be retried, not dropped."""
    pipeline = Pipeline(tmp_path)
    create, comment = ingested_pair(pipeline)

    with pytest.raises(RetryableError):
        handle_delivery(comment, pipeline.services)
    handle_delivery(create, pipeline.services)
    handle_delivery(comment, pipeline.services)
    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1


def ingested_pair(pipeline: Pipeline) -> tuple[DeliveryRequest, DeliveryRequest]:
    """Ingest the original and its reply; return the create and the comment."""
    pipeline.mailbox.deliver(HELPDESK, ORIGINAL)
    pipeline.mailbox.deliver(HELPDESK, REPLY)
    changes = pipeline.queues["mail-changes"]
    deliveries = [
        handle_change(MailChange.model_validate_json(c), pipeline.services)
        for c in changes
    ]
    changes.clear()
    return deliveries[0][0], deliveries[1][0]


def later(services: Services, seconds: float) -> Services:
    """Return the services with their clock moved on by `seconds`."""
    moved = services.now() + timedelta(seconds=seconds)
    return replace(services, now=lambda: moved)


def test_a_comment_tries_again_soon_while_its_original_is_fresh(
    tmp_path: Path,
) -> None:
    """Just after the original was ingested, its ticket is about to open."""
    pipeline = Pipeline(tmp_path)
    _, comment = ingested_pair(pipeline)

    with pytest.raises(RetryableError) as raised:
        handle_delivery(comment, pipeline.services)

    assert raised.value.retry_after == SOON


def test_a_comment_on_a_stalled_original_waits_past_the_queue_delay(
    tmp_path: Path,
) -> None:
    """A minute on, the original's create is failing: wait long, and defer."""
    pipeline = Pipeline(tmp_path)
    _, comment = ingested_pair(pipeline)
    queues = SentQueues()
    services = replace(later(pipeline.services, 30), queues=queues)

    result = run_stage(
        "deliver",
        comment.model_dump_json().encode(),
        DeliveryRequest,
        handle_delivery,
        services,
        queue="deliveries",
    )

    assert result.poison == [] and result.outputs == []
    assert [(q, delay) for q, _, delay in queues.sent] == [
        ("deliveries", ORIGINAL_DELAYED)
    ]
    assert services.config.runtime.visibility_timeout_seconds < ORIGINAL_DELAYED


def test_two_copies_of_one_delivery_at_once_post_one_comment(
    tmp_path: Path,
) -> None:
    """While one copy holds the claim, the other goes back to its queue."""
    pipeline = Pipeline(tmp_path)
    create, comment = ingested_pair(pipeline)
    handle_delivery(create, pipeline.services)
    key = f"{comment.mail_key}|{comment.tool}"
    assert claim(pipeline.services.store, key, "other", pipeline.services.now(), 60)

    with pytest.raises(RetryableError, match="another worker"):
        handle_delivery(comment, pipeline.services)
    release(pipeline.services.store, key, "other")
    handle_delivery(comment, pipeline.services)
    handle_delivery(comment, pipeline.services)

    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1


def test_a_claim_left_by_a_crashed_worker_expires(tmp_path: Path) -> None:
    """A holder that never released its claim blocks only until it runs out."""
    pipeline = Pipeline(tmp_path)
    create, comment = ingested_pair(pipeline)
    handle_delivery(create, pipeline.services)
    key = f"{comment.mail_key}|{comment.tool}"
    claim(pipeline.services.store, key, "crashed", pipeline.services.now(), 60)

    handle_delivery(comment, later(pipeline.services, 61))

    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1
    assert pipeline.services.store.get("claims", key) is None


def test_an_original_delivered_after_its_reply_joins_the_replys_ticket(
    tmp_path: Path,
) -> None:
    """The reply opens the ticket; the late original becomes its comment."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(REPLY)
    pipeline.deliver(ORIGINAL)

    [ticket] = pipeline.tracker.tickets.values()
    assert [c.author.email for c in ticket.comments if c.author] == [
        "ingrid.halvorsen@example.com"
    ]
    assert "since about 06:40 this morning" in ticket.comments[0].body
    original = next(r for r in pipeline.ledger.mails() if r.kind == "new")
    assert (original.status, original.thread_signal) == (
        "routed",
        "answered-before-arrival",
    )
    assert len(pipeline.sent()) == 1  # one acknowledgement, for the one ticket
    assert pipeline.poison == []


def test_a_later_reply_to_the_late_original_finds_the_same_ticket(
    tmp_path: Path,
) -> None:
    """Reply first, original second, a second reply third: still one ticket."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(REPLY)
    pipeline.deliver(ORIGINAL)
    pipeline.deliver(SECOND_REPLY)

    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 2


@pytest.mark.parametrize("first", ["reply", "new"])
def test_a_reply_and_its_original_ingested_at_once_make_one_ticket(
    first: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both decide "new" before either ties the thread; exactly one wins.

    The mail of kind `first` ties its ids first; the other is decided again
    and comments on the winner's ticket.
    """
    pipeline = Pipeline(tmp_path)
    pipeline.mailbox.deliver(HELPDESK, REPLY)
    pipeline.mailbox.deliver(HELPDESK, ORIGINAL)
    queued = pipeline.queues["mail-changes"]
    changes = [MailChange.model_validate_json(c) for c in queued]
    queued.clear()

    both_decided = threading.Barrier(2, timeout=10)
    first_tied = threading.Event()
    decide, reserve = ingest.decide, ingest.reserve_threads

    def decide_together(*args: Any) -> Any:
        """Decide, then wait until the other mail has decided too."""
        record = decide(*args)
        if record.deliveries and record.deliveries[0].action == "create":
            both_decided.wait()
        return record

    def reserve_in_turn(record: Any, *args: Any) -> bool:
        """Let the mail of kind `first` tie its ids before the other."""
        if record.kind != first:
            assert first_tied.wait(10)
        won = reserve(record, *args)
        first_tied.set()
        return won

    monkeypatch.setattr(ingest, "decide", decide_together)
    monkeypatch.setattr(ingest, "reserve_threads", reserve_in_turn)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda c: handle_change(c, pipeline.services), changes))
    monkeypatch.undo()
    requests = sorted((r for rs in results for r in rs), key=lambda r: r.action)
    assert [r.action for r in requests] == ["comment", "create"]
    pipeline.queues["deliveries"] += [r.model_dump_json() for r in reversed(requests)]
    pipeline.drain()

    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1
    mails = {r.kind: r for r in pipeline.ledger.mails() if r.kind in ("new", "reply")}
    assert [d.action for d in mails[first].deliveries] == ["create"]
    assert pipeline.poison == []
