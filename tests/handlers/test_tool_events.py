"""Tool to mail: comments go back under the mail thread, once."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from handlers.tool_events import handle_tool_event
from mailroom.config import LocalTrackerConfig
from mailroom.models import Address
from mailroom.tool_events import ToolEvent
from tests.pipeline import Pipeline, pipeline_config

AGENT = Address(email="agent.okafor@example.org", name="Chidi Okafor")


def request_mail() -> bytes:
    """Return a request with a colleague in Cc."""
    message = EmailMessage()
    message["From"] = "Ada Lindqvist <ada@example.com>"
    message["To"] = "helpdesk@example.org"
    message["Cc"] = "Bo Kettunen <bo@example.com>"
    message["Subject"] = "Badge reader at gate B refuses cards"
    message["Message-ID"] = "<badge.reader@example.com>"
    message.set_content("Since this morning no badge opens gate B.\n")
    return message.as_bytes()


def comment(event_id: str = "c-1", **changes: object) -> ToolEvent:
    """Return a public comment on HELP-1 by an agent."""
    event = ToolEvent(
        tool="local",
        kind="comment",
        ticket_key="HELP-1",
        event_id=event_id,
        author=AGENT,
        body="We replaced the reader; please try your badge again.",
    )
    return event.model_copy(update=changes)


def pipeline(tmp_path: Path, mode: str = "reply_all") -> Pipeline:
    """Return a pipeline with one ticket opened from a mail."""
    trackers = {"local": LocalTrackerConfig(reply_on_modify=mode)}  # type: ignore[arg-type]
    started = Pipeline(tmp_path, pipeline_config(trackers=trackers))
    started.deliver(request_mail())
    return started


def replies(p: Pipeline) -> list[EmailMessage]:
    """Return the mails sent besides the acknowledgement."""
    return [m for m in p.sent() if "replaced the reader" in m.get_content()]


def test_a_tool_comment_is_a_reply_all_under_the_original_mail(tmp_path: Path) -> None:
    """Requester in To, the Cc'd colleague in Cc, threaded on the request."""
    p = pipeline(tmp_path)
    handle_tool_event(comment(), p.services)
    [reply] = replies(p)
    assert reply["To"].addresses[0].addr_spec == "ada@example.com"
    assert reply["Cc"].addresses[0].addr_spec == "bo@example.com"
    assert reply["In-Reply-To"] == "<badge.reader@example.com>"
    assert "HELP-1" in reply["Subject"]


@pytest.mark.parametrize(
    ("mode", "count", "cc"), [("reply", 1, None), ("none", 0, None)]
)
def test_reply_on_modify_is_switchable_per_tool(
    tmp_path: Path, mode: str, count: int, cc: None
) -> None:
    """`reply` answers the requester alone; `none` sends nothing."""
    p = pipeline(tmp_path, mode)
    handle_tool_event(comment(), p.services)
    sent = replies(p)
    assert len(sent) == count
    assert all(m["Cc"] is cc for m in sent)


def test_a_replayed_event_or_mailrooms_own_comment_sends_nothing(
    tmp_path: Path,
) -> None:
    """The same event id twice, or a comment Mailroom made, mails once at most."""
    p = pipeline(tmp_path)
    for event in (comment(), comment(), comment("c-2", origin="mailroom")):
        handle_tool_event(event, p.services)
    assert len(replies(p)) == 1


def test_the_requesters_answer_to_the_tool_reply_threads_back(tmp_path: Path) -> None:
    """Answering the tool's reply adds a comment to the same ticket."""
    p = pipeline(tmp_path)
    handle_tool_event(comment(), p.services)
    [reply] = replies(p)
    answer = EmailMessage()
    answer["From"] = "Ada Lindqvist <ada@example.com>"
    answer["To"] = "helpdesk@example.org"
    answer["Subject"] = "RE: badge"
    answer["Message-ID"] = "<answer@example.com>"
    answer["In-Reply-To"] = reply["Message-ID"]
    answer.set_content("Works again, thank you.\n")
    p.deliver(answer.as_bytes())

    [ticket] = p.tracker.tickets.values()
    assert [c.body for c in ticket.comments] == ["Works again, thank you."]


def test_a_ticket_opened_in_the_tool_mails_its_requester(tmp_path: Path) -> None:
    """A created event with a requester becomes a new mail with the URL."""
    p = pipeline(tmp_path)
    created = ToolEvent(
        tool="local",
        kind="created",
        ticket_key="HELP-9",
        event_id="i-9",
        requester=Address(email="bo@example.com"),
        summary="Replace the projector lamp in room 4",
        ticket_url="https://tickets.example.org/browse/HELP-9",
    )
    handle_tool_event(created, p.services)
    [mail] = [m for m in p.sent() if "HELP-9" in m["Subject"]]
    assert mail["To"].addresses[0].addr_spec == "bo@example.com"
    assert "https://tickets.example.org/browse/HELP-9" in mail.get_content()


def test_a_reply_after_the_tool_closed_the_ticket_reopens_it(tmp_path: Path) -> None:
    """Closed in the tool, then answered by mail: a comment, marked reopen."""
    p = pipeline(tmp_path)
    closed = comment("s-1").model_copy(update={"kind": "status", "status": "Done"})
    handle_tool_event(closed, p.services)
    assert p.ledger.ticket_state("local", "HELP-1").closed

    answer = EmailMessage()
    answer["From"] = "Ada Lindqvist <ada@example.com>"
    answer["Subject"] = "RE: Badge reader at gate B refuses cards"
    answer["Message-ID"] = "<after.close@example.com>"
    answer["In-Reply-To"] = "<badge.reader@example.com>"
    answer.set_content("It stopped working again.\n")
    p.deliver(answer.as_bytes())
    [ticket] = p.tracker.tickets.values()
    assert "reopen-requested" in ticket.events


def test_a_comment_on_a_ticket_opened_in_the_tool_reaches_its_requester(
    tmp_path: Path,
) -> None:
    """After the new-ticket mail, the tool's comments follow in its thread."""
    p = pipeline(tmp_path)
    created = ToolEvent(
        tool="local",
        kind="created",
        ticket_key="HELP-9",
        event_id="i-9",
        requester=Address(email="bo@example.com"),
        summary="Replace the projector lamp in room 4",
    )
    handle_tool_event(created, p.services)
    handle_tool_event(comment("c-9", ticket_key="HELP-9"), p.services)

    [new_mail] = [m for m in p.sent() if m["Subject"].startswith("[HELP-9]")]
    [reply] = [m for m in replies(p) if "HELP-9" in m["Subject"]]
    assert reply["To"].addresses[0].addr_spec == "bo@example.com"
    assert reply["In-Reply-To"] == new_mail["Message-ID"]


@pytest.mark.parametrize(("notify", "mailed"), [(True, 1), (False, 0)])
def test_status_changes_are_mailed_only_when_configured(
    tmp_path: Path, notify: bool, mailed: int
) -> None:
    """`notify_status` sends the new status under the mail thread."""
    trackers = {"local": LocalTrackerConfig(notify_status=notify)}
    p = Pipeline(tmp_path, pipeline_config(trackers=trackers))
    p.deliver(request_mail())
    status = comment("s-2").model_copy(update={"kind": "status", "status": "Resolved"})
    handle_tool_event(status, p.services)
    notices = [m for m in p.sent() if "status of this ticket is now" in m.get_content()]
    assert len(notices) == mailed


@pytest.mark.parametrize(("notify", "notices"), [(True, 1), (False, 0)])
def test_a_refused_mail_is_parked_and_its_sender_told_when_configured(
    tmp_path: Path, notify: bool, notices: int
) -> None:
    """A permanent refusal lands in poison; `notify_failure` tells the sender."""
    trackers = {"local": LocalTrackerConfig(notify_failure=notify)}
    p = Pipeline(tmp_path, pipeline_config(trackers=trackers))
    p.tracker.refuse_creates = True
    p.deliver(request_mail())

    assert len(p.poison) == 1
    sent = [m for m in p.sent() if "could not open a ticket" in m.get_content()]
    assert len(sent) == notices
    for notice in sent:
        assert "It is kept, set aside where the support team looks" in (
            notice.get_content()
        )
