"""What a connected tool tells Mailroom: comments, new tickets, changes."""

from __future__ import annotations

from typing import Literal

from mailroom.models import Address, Model

ToolEventKind = Literal["comment", "created", "status"]


class ToolEvent(Model):
    """One change in a tool that may go back to the mail thread.

    `event_id` is the tool's own id of the change, used to drop replays;
    `origin` says whether Mailroom itself caused it (a comment Mailroom
    added from a mail must not be mailed back).
    """

    tool: str
    kind: ToolEventKind
    ticket_key: str
    event_id: str
    author: Address | None = None
    body: str = ""
    public: bool = True
    requester: Address | None = None
    summary: str | None = None
    status: str | None = None
    ticket_url: str | None = None
    origin: Literal["tool", "mailroom"] = "tool"
