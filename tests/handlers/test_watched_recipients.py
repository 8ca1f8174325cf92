"""Mail Mailroom sends never goes to a mailbox it watches."""

from __future__ import annotations

from pathlib import Path

from handlers.tool_events import handle_tool_event
from mailroom.config import LocalTrackerConfig
from mailroom.models import Address
from mailroom.tool_events import ToolEvent
from tests.pipeline import HELPDESK, Pipeline, pipeline_config

SKIPPED = (
    "there is no valid From or Reply-To address to answer (a Reply-To address "
    "is not usable: it is a mailbox Mailroom watches; a From address is not "
    "usable: its local part holds characters other than ASCII)"
)


def request(sender: bytes, reply_to: bytes = b"HelpDesk@Example.org") -> bytes:
    """Return a request whose Reply-To names the watched helpdesk."""
    head = [
        b"From: " + sender,
        b"Reply-To: " + reply_to,
        b"To: helpdesk@example.org",
        b"Cc: Bo <bo@example.com>",
        b"Subject: Badge reader at gate B refuses cards",
        b"Message-ID: <gate.b@example.com>",
    ]
    return b"\r\n".join(head) + b"\r\n\r\nNo badge opens gate B.\r\n"


def addressed(p: Pipeline, header: str) -> list[list[str]]:
    """Return the addresses in `header` of each mail sent, oldest first."""
    return [
        [a.addr_spec for a in sent[header].addresses] if sent[header] else []
        for sent in p.sent()
    ]


def outcome(p: Pipeline, event: ToolEvent) -> str:
    """Return the outcome recorded for a handled tool event."""
    record = p.services.store.get("tool-events", f"{event.tool}|{event.event_id}")
    assert record is not None
    return str(record["outcome"])


def test_an_acknowledgement_answers_from_when_reply_to_is_the_helpdesk(
    tmp_path: Path,
) -> None:
    """Ivy gets the acknowledgement; nothing comes back into the helpdesk."""
    p = Pipeline(tmp_path)
    p.deliver(request(b"Ivy <ivy@example.com>"))

    assert addressed(p, "To") == [["ivy@example.com"]]
    assert len(p.mailbox.items(HELPDESK, "Inbox")) == 1
    assert p.poison == []


def test_no_acknowledgement_when_only_the_helpdesk_could_be_answered(
    tmp_path: Path,
) -> None:
    """A broken From and a watched Reply-To: a ticket, no mail, the reason."""
    p = Pipeline(tmp_path)
    p.deliver(request(b"<bad\xff\xfe@example.com>"))

    [ticket] = p.tracker.tickets.values()
    record = p.ledger.mail(ticket.draft.correlation_id)
    assert record is not None and not record.acknowledge
    assert record.reason.endswith(SKIPPED)
    assert (p.sent(), p.poison) == ([], [])


def test_a_tool_comment_goes_to_from_when_reply_to_is_the_helpdesk(
    tmp_path: Path,
) -> None:
    """Reply-all reaches Ivy and Bo, never the helpdesk."""
    trackers = {"local": LocalTrackerConfig(reply_on_modify="reply_all")}
    p = Pipeline(tmp_path, pipeline_config(trackers=trackers))
    p.deliver(request(b"Ivy <ivy@example.com>"))
    event = ToolEvent(
        tool="local", kind="comment", ticket_key="HELP-1", event_id="c1", body="Done."
    )

    handle_tool_event(event, p.services)

    assert addressed(p, "To")[-1] == ["ivy@example.com"]
    assert addressed(p, "Cc")[-1] == ["bo@example.com"]
    assert outcome(p, event) == "replied"


def test_a_tool_ticket_for_the_helpdesk_is_not_mailed(tmp_path: Path) -> None:
    """A requester that is a watched mailbox, in any case, gets nothing."""
    p = Pipeline(tmp_path)
    event = ToolEvent(
        tool="local",
        kind="created",
        ticket_key="HELP-7",
        event_id="t1",
        requester=Address(email="HELPDESK@example.org"),
        summary="Gate B",
    )

    handle_tool_event(event, p.services)

    assert p.sent() == []
    assert outcome(p, event) == "no-usable-address"
