"""The mail a ticket's life starts from, and what its replies must look like.

The life tests of each tool open a ticket from `MAIL`, let an agent answer
in the tool and check the reply-all Mailroom would send back.
"""

from __future__ import annotations

from typing import Any

from mailroom.acknowledgement import render_acknowledgement
from mailroom.config import AcknowledgementConfig, Config
from mailroom.models import (
    Address,
    FieldProblem,
    NormalizedMail,
    TicketDraft,
    TicketRef,
)
from mailroom.tool_events import ToolEvent
from mailroom.tool_replies import compose_comment_reply

ADA = Address(email="ada@example.com", name="Ada Lindqvist")
MAIL = NormalizedMail(
    message_id="<m-1@example.com>",
    subject="Scanner offline",
    sender=ADA,
    to=[Address(email="support@example.com")],
    cc=[Address(email="bo@example.com")],
    text_body="The scanner in room 12 stopped.",
)
MARKER = ("X-Mailroom-Id", "reply-1")


def mail_draft(fields: dict[str, str]) -> TicketDraft:
    """Return the draft of MAIL with the given mapped fields."""
    return TicketDraft(
        correlation_id="m-1",
        summary=MAIL.subject,
        description=MAIL.text_body,
        requester=ADA,
        fields=fields,
    )


def reply_all(event: ToolEvent, ref: TicketRef) -> list[str]:
    """Return who the reply-all to an agent's comment goes to.

    The reply must answer MAIL; anything else fails the calling test.
    """
    reply = compose_comment_reply(
        event, MAIL, ref, "reply_all", ["support@example.com"], "<r-1@x>", MARKER
    )
    assert reply is not None and reply.in_reply_to == MAIL.message_id
    return [a.email for a in reply.to + reply.cc]


def acknowledgement(ref: TicketRef, problems: list[FieldProblem]) -> str:
    """Return the text of the acknowledgement of MAIL opening `ref`."""
    config = AcknowledgementConfig()
    ack = render_acknowledgement(
        MAIL,
        [ref],
        problems,
        config,
        "<a-1@x>",
        *MARKER,
        watched=["support@example.com"],
    )
    return ack.text_body


def config_with(name: str, settings: dict[str, Any]) -> Config:
    """Return a configuration with one mailbox routed to one tracker."""
    return Config.model_validate(
        {
            "mailboxes": [{"address": "support@example.com"}],
            "trackers": {name: settings},
            "routes": [{"name": "all", "tools": [name]}],
        }
    )
