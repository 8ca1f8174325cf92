"""The normalized mail and the decisions Mailroom takes about it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Importance = Literal["low", "normal", "high"]


class Model(BaseModel):
    """Base of every Mailroom model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(Model):
    """One mailbox address with its decoded display name."""

    email: str
    name: str = ""


class Header(Model):
    """One header as it arrived, its value decoded to text."""

    name: str
    value: str


class Attachment(Model):
    """A file carried by a mail; its bytes travel separately, by hash."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content_id: str | None = None
    inline: bool = False


class AttachmentData(Model):
    """An attachment's description with its bytes, as the parser yields it."""

    meta: Attachment
    data: bytes = Field(repr=False)
    # Set when the file was too large to read into memory: the limit it
    # passed. Its bytes stay only in the original mail.
    left_off: int | None = None


class RelatedItem(Model):
    """A mail carried inside another: an attached .eml or Outlook .msg."""

    source_filename: str
    subject: str = ""
    sender: Address | None = None
    text: str = ""
    attachment_names: list[str] = []


SizeLimit = Literal["file", "total"]


class OversizedFile(Model):
    """A file left off the ticket because it passed a size limit."""

    filename: str
    size: int
    limit: int
    # Which limit: one file's (attachments.max_bytes), or the total of the
    # files kept before it and this one (max_total_bytes). None in a mail
    # stored before the limit was recorded.
    passed: SizeLimit | None = None
    # For the total: the size the kept files would have reached with it.
    total: int | None = None


CloudProvider = Literal["OneDrive", "SharePoint", "Dropbox", "Google Drive", "Box"]


class CloudLink(Model):
    """A file the mail links to in cloud storage instead of carrying it."""

    name: str
    url: str
    provider: CloudProvider
    # Found in the quoted history of a reply: a new ticket lists it, a
    # reply's comment does not list it again.
    quoted: bool = False


class NormalizedMail(Model):
    """A parsed mail in the shape every rule works on."""

    message_id: str | None = None
    in_reply_to: list[str] = []
    references: list[str] = []
    subject: str = ""
    sender: Address | None = None
    reply_to: list[Address] = []
    to: list[Address] = []
    cc: list[Address] = []
    date: datetime | None = None
    importance: Importance = "normal"
    headers: list[Header] = []
    content_type: str = "text/plain"
    report_type: str | None = None
    text_body: str = ""
    html_body: str | None = None
    attachments: list[Attachment] = []
    cloud_links: list[CloudLink] = []
    related: list[RelatedItem] = []
    signature: str | None = None
    returned_message_ids: list[str] = []
    oversized: list[OversizedFile] = []
    defects: list[str] = []

    def header(self, name: str) -> str | None:
        """Return the first value of the header `name`, case-insensitively."""
        wanted = name.lower()
        for header in self.headers:
            if header.name.lower() == wanted:
                return header.value
        return None


class ParsedMail(Model):
    """The parser's result: the mail and the bytes of its attachments."""

    mail: NormalizedMail
    files: list[AttachmentData] = []


class MailboxItem(Model):
    """Where a mail sits in a mailbox, as the mailbox reports it."""

    mailbox: str
    folder: str
    item_id: str
    conversation_id: str | None = None
    received_at: datetime | None = None


class FetchedMail(Model):
    """A mail fetched from a mailbox: its item and its raw MIME."""

    item: MailboxItem
    raw: bytes = Field(repr=False)
    # A mail too large for memory: `raw` is its skeleton (see mime_spool),
    # marked with this token, and the whole mail is the blob `original`.
    left_off_token: str | None = None
    original: str | None = None


MailKind = Literal[
    "new",
    "reply",
    "forward",
    "auto_reply",
    "bounce",
    "list",
    "own",
    "sent",
    "ticket_system",
]


class Classification(Model):
    """What kind of mail this is, and the signal that said so."""

    kind: MailKind
    reason: str
    acknowledge: bool = True

    @property
    def automated(self) -> bool:
        """Tell whether the mail came from a machine, not a person."""
        return self.kind in ("auto_reply", "bounce", "list", "own", "ticket_system")


class TicketRef(Model):
    """A ticket in one tool."""

    tool: str
    key: str
    url: str


ThreadAction = Literal["new", "comment", "linked_new", "skip"]


class ThreadDecision(Model):
    """Which ticket a mail belongs to, and why."""

    action: ThreadAction
    tickets: dict[str, str] = {}
    signal: str
    reason: str
    reopen: bool = False


class RouteDecision(Model):
    """Which tools a new mail goes to, and the rule that chose them."""

    route: str | None
    tools: list[str] = []
    reason: str


class FieldProblem(Model):
    """A value from the mail that does not fit the field it was meant for."""

    field: str
    value: str
    reason: str


class TicketFields(Model):
    """Ticket fields extracted from a mail, with what did not fit."""

    values: dict[str, str] = {}
    problems: list[FieldProblem] = []


class TicketDraft(Model):
    """Everything a tracker needs to open a ticket for a mail."""

    correlation_id: str
    summary: str
    description: str
    # The whole subject, when the summary is cut from it; the description
    # holds it then.
    full_subject: str | None = None
    requester: Address | None = None
    fields: dict[str, str] = {}
    problems: list[FieldProblem] = []


class CommentDraft(Model):
    """A comment to add to a ticket, idempotent by its correlation id."""

    correlation_id: str
    author: Address | None = None
    body: str
    public: bool = True
    outgoing: bool = False
    full_text: str | None = None


class OutgoingMail(Model):
    """A mail Mailroom sends: an acknowledgement, a reply or a new mail."""

    message_id: str
    to: list[Address]
    cc: list[Address] = []
    subject: str
    text_body: str
    html_body: str | None = None
    in_reply_to: str | None = None
    references: list[str] = []
    headers: dict[str, str] = {}
