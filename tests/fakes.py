"""Fakes of the ports, for handler tests that need no files or servers."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailroom.errors import PermanentError
from mailroom.models import (
    Attachment,
    CommentDraft,
    FieldProblem,
    TicketDraft,
    TicketRef,
)


@dataclass
class FakeTicket:
    """A ticket as the fake tracker keeps it."""

    ref: TicketRef
    draft: TicketDraft
    comments: list[CommentDraft] = field(default_factory=list)
    files: dict[str, Attachment] = field(default_factory=dict)
    links: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    event_details: list[dict[str, str]] = field(default_factory=list)


class FakeTracker:
    """A Tracker in memory whose existing tickets a test can seed by key."""

    def __init__(self, tool: str = "local", project: str = "HELP") -> None:
        self.tool = tool
        self.project = project
        self.tickets: dict[str, FakeTicket] = {}
        self.next_number = 1
        self.calls: list[str] = []
        self.allowed: dict[str, list[str]] = {}
        self.refuse_creates = False

    def seed(self, key: str, summary: str) -> None:
        """Add an existing ticket under a chosen key."""
        draft = TicketDraft(
            correlation_id=f"seed-{key}", summary=summary, description=""
        )
        self.tickets[key] = FakeTicket(self.ref(key), draft)

    def ref(self, key: str) -> TicketRef:
        """Return the reference of a ticket key."""
        url = f"https://tickets.example.org/browse/{key}"
        return TicketRef(tool=self.tool, key=key, url=url)

    def check_fields(self, draft: TicketDraft) -> list[FieldProblem]:
        """Refuse mapped values outside the tool's allowed lists."""
        return [
            FieldProblem(field=name, value=value, reason="not allowed in the tool")
            for name, value in draft.fields.items()
            if name in self.allowed and value not in self.allowed[name]
        ]

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the ticket opened for a correlation id."""
        self.calls.append("find")
        for ticket in self.tickets.values():
            if ticket.draft.correlation_id == correlation_id:
                return ticket.ref
        return None

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a ticket with the next free number."""
        self.calls.append("create")
        if self.refuse_creates:
            raise PermanentError("the fake tool refuses every ticket")
        while f"{self.project}-{self.next_number}" in self.tickets:
            self.next_number += 1
        key = f"{self.project}-{self.next_number}"
        self.tickets[key] = FakeTicket(self.ref(key), draft)
        return self.tickets[key].ref

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment once per correlation id."""
        self.calls.append("comment")
        ticket = self.tickets[key]
        if all(c.correlation_id != comment.correlation_id for c in ticket.comments):
            ticket.comments.append(comment)

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Attach a file once per name."""
        self.calls.append("attach")
        self.tickets[key].files.setdefault(attachment.filename, attachment)

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Relate two tickets."""
        self.tickets[key].links.append((relation, other_key))

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Record an event on a ticket, with its detail."""
        self.tickets[key].events.append(event)
        self.tickets[key].event_details.append(detail)
