"""Addresses no mail can carry: refused up front, never a poison message."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from handlers.tool_events import handle_tool_event
from mailroom.config import LocalTrackerConfig
from mailroom.messages import AckRequest
from mailroom.models import Address
from mailroom.tool_events import ToolEvent
from tests.pipeline import Pipeline, pipeline_config

BROKEN = b"<bad\xff\xfe@example.com>"
SKIPPED = (
    "acknowledgement skipped: sender address not usable (a From address is "
    "not usable: its local part holds characters other than ASCII)"
)


def request(sender: bytes = BROKEN, *headers: bytes) -> bytes:
    """Return a request from `sender` with extra header lines."""
    head = [
        b"From: " + sender,
        b"To: helpdesk@example.org",
        b"Subject: Badge reader at gate B refuses cards",
        b"Message-ID: <gate.b@example.com>",
        *headers,
    ]
    return b"\r\n".join(head) + b"\r\n\r\nNo badge opens gate B.\r\n"


def comment(kind: str = "comment", requester: Address | None = None) -> ToolEvent:
    """Return a public comment, or a ticket opened in the tool, on HELP-1."""
    return ToolEvent(
        tool="local",
        kind=kind,  # type: ignore[arg-type]
        ticket_key="HELP-1",
        event_id=f"{kind}-1",
        body="We replaced the reader; please try your badge again.",
        requester=requester,
    )


def outcome(p: Pipeline, event: ToolEvent) -> str:
    """Return the outcome recorded for a handled tool event."""
    record = p.services.store.get("tool-events", f"{event.tool}|{event.event_id}")
    assert record is not None
    return str(record["outcome"])


def test_a_broken_sender_gets_a_ticket_and_no_acknowledgement(tmp_path: Path) -> None:
    """The ticket opens; nothing is sent, nothing poisoned, the reason kept."""
    p = Pipeline(tmp_path)
    p.deliver(request())

    [ticket] = p.tracker.tickets.values()
    record = p.ledger.mail(ticket.draft.correlation_id)
    assert record is not None and not record.acknowledge
    assert "a From address is not usable" in record.reason
    assert (p.poison, p.sent()) == ([], [])


def test_a_replayed_acknowledgement_is_skipped_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One queued before the ledger knew is skipped on the ticket, not poisoned."""
    p = Pipeline(tmp_path)
    p.deliver(request())
    [ticket] = p.tracker.tickets.values()
    key = ticket.draft.correlation_id
    record = p.ledger.mail(key)
    assert record is not None
    p.ledger.save_mail(record.model_copy(update={"acknowledge": True}))

    p.queues["acknowledgements"].append(AckRequest(mail_key=key).model_dump_json())
    with caplog.at_level(logging.INFO):
        p.drain()

    assert (p.poison, p.sent()) == ([], [])
    assert ticket.events == ["acknowledgement-skipped"]
    assert ticket.event_details == [{"reason": SKIPPED}]
    outcomes = [getattr(line, "outcome", None) for line in caplog.records]
    assert "no-usable-address" in outcomes


def test_an_unusable_reply_to_is_passed_over_for_the_sender(tmp_path: Path) -> None:
    """The acknowledgement goes to the From address instead."""
    p = Pipeline(tmp_path)
    p.deliver(request(b"Ada <ada@example.com>", b"Reply-To: " + BROKEN))

    [ack] = p.sent()
    assert [a.addr_spec for a in ack["To"].addresses] == ["ada@example.com"]
    assert p.poison == []


def test_reply_all_leaves_out_an_unusable_cc(tmp_path: Path) -> None:
    """A tool comment reaches the requester and the usable Cc, no one else."""
    trackers = {"local": LocalTrackerConfig(reply_on_modify="reply_all")}
    p = Pipeline(tmp_path, pipeline_config(trackers=trackers))
    p.deliver(request(b"Ada <ada@example.com>", b"Cc: bo@example.com, " + BROKEN))

    event = comment()
    handle_tool_event(event, p.services)

    reply = p.sent()[-1]
    assert [a.addr_spec for a in reply["To"].addresses] == ["ada@example.com"]
    assert [a.addr_spec for a in reply["Cc"].addresses] == ["bo@example.com"]
    assert outcome(p, event) == "replied"


def test_a_comment_for_a_broken_requester_is_not_mailed(tmp_path: Path) -> None:
    """With no usable requester, the comment stays in the tool, with a reason."""
    p = Pipeline(tmp_path)
    p.deliver(request())

    event = comment()
    handle_tool_event(event, p.services)

    assert p.sent() == []
    assert outcome(p, event) == "no-usable-address"


def test_a_tool_ticket_for_a_broken_requester_mails_no_one(tmp_path: Path) -> None:
    """A ticket opened in the tool for an unusable address sends nothing."""
    p = Pipeline(tmp_path)
    broken = Address(email="bad\u00ff\u00fe@example.com")

    event = comment("created", requester=broken)
    handle_tool_event(event, p.services)

    assert p.sent() == []
    assert outcome(p, event) == "no-usable-address"
