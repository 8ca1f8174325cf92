"""What a connected tool tells Mailroom: comments, new tickets, changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from mailroom.models import Address, Model

ToolEventKind = Literal["comment", "created", "status"]


class ToolEvent(Model):
    """One change in a tool that may go back to the mail thread.

    `event_id` is the tool's own id of the change, used to drop replays;
    `origin` says whether Mailroom itself caused it (a comment Mailroom
    added from a mail must not be mailed back). `changed_at` is when the
    tool made the change, which orders status changes that arrive out of
    turn. `body_blob` names the blob that holds a body too large for a
    queue message; `body` is then empty.
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
    changed_at: datetime | None = None
    body_blob: str | None = None


def superseded(changed_at: datetime | None, recorded_at: datetime | None) -> bool:
    """Tell whether a status change is older than the status already recorded.

    A change or a record without a time cannot be ordered and is not
    superseded; a change made at the same moment as the record is not
    either, so that the later of two arrivals wins a tie.
    """
    if changed_at is None or recorded_at is None:
        return False
    return _in_utc(changed_at) < _in_utc(recorded_at)


def _in_utc(moment: datetime) -> datetime:
    """Return `moment` with a time zone, taking a naive one as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
