"""What the local tracker shows: tickets with their thread, files and history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from mailroom.models import Address, FieldProblem, Model

Direction = Literal["incoming", "outgoing", "internal note"]

# Types a browser may show in place; anything else downloads as bytes, so an
# attached page or script never runs on the tracker's origin.
DISPLAYABLE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
)


class CommentView(Model):
    """One entry of a ticket's thread."""

    author: Address | None = None
    body: str
    public: bool = True
    outgoing: bool = False
    created_at: datetime
    full_text: str | None = None

    @property
    def direction(self) -> Direction:
        """Tell whether this came in by mail, went out, or stayed internal."""
        if self.outgoing:
            return "outgoing"
        return "incoming" if self.public else "internal note"


class AttachmentView(Model):
    """A file on a ticket and the URL it downloads from."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None = None
    inline: bool = False
    url: str

    @property
    def served_type(self) -> str:
        """Return the content type the file is served with."""
        base = self.content_type.split(";")[0].strip().lower()
        return base if base in DISPLAYABLE_TYPES else "application/octet-stream"

    @property
    def shown_inline(self) -> bool:
        """Tell whether the page shows this file as an image."""
        return self.inline and self.served_type.startswith("image/")


class LinkView(Model):
    """A relation to another ticket, seen from this one."""

    other_key: str
    relation: str
    inward: bool = False
    url: str


class EventView(Model):
    """Something that happened to the ticket's mail."""

    kind: str
    detail: dict[str, str] = {}
    at: datetime


class TicketView(Model):
    """A ticket with everything the CLI and the web page show."""

    key: str
    url: str
    summary: str
    description: str
    requester: Address | None = None
    fields: dict[str, str] = {}
    problems: list[FieldProblem] = []
    status: str
    correlation_id: str
    created_at: datetime
    comments: list[CommentView] = []
    attachments: list[AttachmentView] = []
    links: list[LinkView] = []
    events: list[EventView] = []
