"""Typed records over the key-value port: what happened to each mail.

Tables:
  mails        dedupe key -> MailRecord (outcome, reasons, deliveries)
  items        mailbox|item id -> dedupe key (a re-notified item needs no fetch)
  deliveries   dedupe key|tool -> DeliveryRecord
  acks         dedupe key -> AckRecord
  threads      tool|Message-ID -> ThreadRow (every id seen or sent on a ticket)
  tickets      tool|ticket key -> ThreadRow
  ticket-files tool|ticket key -> SHA-256 of the files on the ticket
  subscriptions  subscription id -> mailbox and folder
  delta        mailbox|folder -> delta link
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeVar

from pydantic import BaseModel

from mailroom.messages import DeliveryRequest
from mailroom.models import Address, FieldProblem, Model, TicketRef
from mailroom.ports import KeyValueStore

MailStatus = Literal["routed", "skipped", "quarantined"]
M = TypeVar("M", bound=BaseModel)


class MailRecord(Model):
    """The outcome of one mail, with the reason for every decision."""

    key: str
    mailbox: str
    item_id: str
    status: MailStatus
    kind: str
    reason: str
    thread_signal: str | None = None
    thread_reason: str | None = None
    route: str | None = None
    deliveries: list[DeliveryRequest] = []
    acknowledge: bool = False
    fields: dict[str, str] = {}
    problems: list[FieldProblem] = []
    recorded_at: datetime
    conversation_id: str | None = None
    reopen: bool = False
    requester: Address | None = None
    requester_reason: str | None = None
    # The blob holding the original MIME when it is not raw_name(key): a
    # mail too large for memory, stored whole while it was fetched.
    original: str | None = None
    # identity.fingerprint of the mail: another mail under its Message-ID
    # is told apart by it (None in records written before it was kept).
    fingerprint: str | None = None


class DeliveryRecord(Model):
    """A finished delivery of one mail to one tool."""

    ticket: TicketRef | None = None
    action: str
    problems: list[FieldProblem] = []


class AckRecord(Model):
    """An acknowledgement that was sent."""

    message_id: str
    tickets: list[TicketRef]


PENDING = "pending:"


class ThreadRow(Model):
    """A ticket that a Message-ID or a ticket key leads to.

    While the mail that opens the ticket is still being delivered, the key
    is a placeholder, `pending:<mail key>`, resolved at delivery time.
    """

    key: str
    subject: str
    mail_key: str
    # Tied by a mail that answers this id, before the mail with the id
    # arrived: that mail, when it comes, belongs on this ticket.
    from_answer: bool = False

    @property
    def pending(self) -> bool:
        """Tell whether the ticket does not exist yet."""
        return self.key.startswith(PENDING)


def pending_key(mail_key: str) -> str:
    """Return the placeholder key of the ticket a mail is opening."""
    return f"{PENDING}{mail_key}"


def raw_name(mail_key: str) -> str:
    """Return the blob name of a mail's original MIME, as ingest stores it."""
    return f"raw/{mail_key}.eml"


def original_blob(record: MailRecord) -> str:
    """Return where a recorded mail's original MIME is kept."""
    return record.original or raw_name(record.key)


def pending_mail(key: str) -> str | None:
    """Return the mail key behind a placeholder, or None for a real key."""
    return key.removeprefix(PENDING) if key.startswith(PENDING) else None


class TicketState(Model):
    """Whether a ticket is closed, as the tool last reported it.

    `status_at` is when the tool made the change recorded here, so that a
    status change arriving after a newer one does not undo it.
    """

    closed: bool = False
    closed_at: datetime | None = None
    status: str | None = None
    status_at: datetime | None = None


class SubscriptionRow(Model):
    """Which mailbox and folder a subscription watches."""

    mailbox: str
    folder: str


class Ledger:
    """Read and write Mailroom's records through a KeyValueStore."""

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store

    def mail(self, key: str) -> MailRecord | None:
        """Return the record of a mail, if it was seen."""
        return self._get("mails", key, MailRecord)

    def save_mail(self, record: MailRecord) -> None:
        """Store a mail's outcome."""
        self._put("mails", record.key, record)

    def mails(self) -> list[MailRecord]:
        """Return every mail record."""
        return [MailRecord.model_validate(v) for _, v in self.store.scan("mails")]

    def item(self, mailbox: str, item_id: str) -> str | None:
        """Return the dedupe key of a mailbox item already ingested."""
        value = self.store.get("items", _join(mailbox.lower(), item_id))
        return None if value is None else str(value["mail_key"])

    def save_item(self, mailbox: str, item_id: str, mail_key: str) -> None:
        """Remember which mail a mailbox item holds."""
        key = _join(mailbox.lower(), item_id)
        self.store.upsert("items", key, {"mail_key": mail_key})

    def delivery(self, mail_key: str, tool: str) -> DeliveryRecord | None:
        """Return the finished delivery of a mail to a tool, if any."""
        return self._get("deliveries", _join(mail_key, tool), DeliveryRecord)

    def save_delivery(self, mail_key: str, tool: str, record: DeliveryRecord) -> None:
        """Mark a delivery finished."""
        self._put("deliveries", _join(mail_key, tool), record)

    def ack(self, mail_key: str) -> AckRecord | None:
        """Return the acknowledgement sent for a mail, if any."""
        return self._get("acks", mail_key, AckRecord)

    def save_ack(self, mail_key: str, record: AckRecord) -> None:
        """Record a sent acknowledgement."""
        self._put("acks", mail_key, record)

    def thread(self, tool: str, message_id: str) -> ThreadRow | None:
        """Return the ticket a Message-ID belongs to in one tool."""
        return self._get("threads", _join(tool, message_id.lower()), ThreadRow)

    def save_thread(self, tool: str, message_id: str, row: ThreadRow) -> None:
        """Tie a Message-ID to a ticket, unless it is tied already.

        A placeholder left by ingest for the same mail gives way to the
        real ticket.
        """
        self._tie("threads", _join(tool, message_id.lower()), row)

    def claim_thread(self, tool: str, message_id: str, row: ThreadRow) -> bool:
        """Tie a Message-ID to `row`'s ticket if no other mail holds it.

        Return False when another mail's ticket holds the id already: of two
        mails racing for one thread, exactly one wins.
        """
        key = _join(tool, message_id.lower())
        if self.store.insert("threads", key, row.model_dump(mode="json")):
            return True
        current = self.thread(tool, message_id)
        return current is not None and current.mail_key == row.mail_key

    def conversation(self, tool: str, key: str) -> ThreadRow | None:
        """Return the ticket a Thread-Index root or conversationId leads to."""
        return self._get("conversations", _join(tool, key), ThreadRow)

    def save_conversation(self, tool: str, key: str, row: ThreadRow) -> None:
        """Tie a conversation key to the ticket its first mail opened."""
        self.store.insert(
            "conversations", _join(tool, key), row.model_dump(mode="json")
        )

    def token(self, tool: str, token: str) -> ThreadRow | None:
        """Return the ticket Mailroom's token leads to in one tool."""
        return self._get("tokens", _join(tool, token.lower()), ThreadRow)

    def save_token(self, tool: str, token: str, row: ThreadRow) -> None:
        """Tie Mailroom's token of a mail to the ticket the mail opened."""
        self.store.insert(
            "tokens", _join(tool, token.lower()), row.model_dump(mode="json")
        )

    def ticket_state(self, tool: str, key: str) -> TicketState:
        """Return whether a ticket is closed; unknown tickets are open."""
        found = self._get("ticket_states", _join(tool, key.upper()), TicketState)
        return found or TicketState()

    def save_ticket_state(self, tool: str, key: str, state: TicketState) -> None:
        """Record a ticket's state as the tool reported it."""
        self._put("ticket_states", _join(tool, key.upper()), state)

    def ack_times(self, scope: str, key: str) -> list[datetime]:
        """Return when acknowledgements went to a sender or on a thread."""
        value = self.store.get("ack_times", _join(scope, key.lower()))
        times = [] if value is None else value["times"]
        return [datetime.fromisoformat(str(t)) for t in times]

    def save_ack_times(self, scope: str, key: str, times: list[datetime]) -> None:
        """Store the acknowledgement times of a sender or a thread."""
        value = {"times": [t.isoformat() for t in times]}
        self.store.upsert("ack_times", _join(scope, key.lower()), value)

    def ticket(self, tool: str, key: str) -> ThreadRow | None:
        """Return what is known of a ticket key in one tool."""
        return self._get("tickets", _join(tool, key.upper()), ThreadRow)

    def save_ticket(self, tool: str, row: ThreadRow) -> None:
        """Remember a ticket key so that a key in a subject finds it."""
        key = _join(tool, row.key.upper())
        self.store.insert("tickets", key, row.model_dump(mode="json"))

    def ticket_files(self, tool: str, key: str) -> set[str]:
        """Return the SHA-256 of every file already on a ticket."""
        value = self.store.get("ticket-files", _join(tool, key.upper()))
        return set(value["sha256"]) if value else set()

    def save_ticket_files(self, tool: str, key: str, hashes: set[str]) -> None:
        """Remember which files a ticket holds."""
        record = {"sha256": sorted(hashes)}
        self.store.upsert("ticket-files", _join(tool, key.upper()), record)

    def subscription(self, subscription_id: str) -> SubscriptionRow | None:
        """Return the mailbox and folder of a subscription."""
        return self._get("subscriptions", subscription_id, SubscriptionRow)

    def save_subscription(self, subscription_id: str, row: SubscriptionRow) -> None:
        """Remember what a subscription watches."""
        self._put("subscriptions", subscription_id, row)

    def delta_link(self, mailbox: str, folder: str) -> str | None:
        """Return the stored delta link of a folder."""
        value = self.store.get("delta", _join(mailbox.lower(), folder.lower()))
        return None if value is None else str(value["link"])

    def save_delta_link(self, mailbox: str, folder: str, link: str) -> None:
        """Store the delta link to resume a folder from."""
        key = _join(mailbox.lower(), folder.lower())
        self.store.upsert("delta", key, {"link": link})

    def _tie(self, table: str, key: str, row: ThreadRow) -> None:
        """Insert `row` under `key`, or resolve the same mail's placeholder."""
        if self.store.insert(table, key, row.model_dump(mode="json")):
            return
        current = self._get(table, key, ThreadRow)
        if current and current.pending and current.mail_key == row.mail_key:
            self.store.upsert(table, key, row.model_dump(mode="json"))

    def _get(self, table: str, key: str, model: type[M]) -> M | None:
        """Read one record as `model`."""
        value = self.store.get(table, key)
        return None if value is None else model.model_validate(value)

    def _put(self, table: str, key: str, record: BaseModel) -> None:
        """Write one record."""
        self.store.upsert(table, key, record.model_dump(mode="json"))


def _join(*parts: str) -> str:
    """Join key parts with a separator that ids do not contain."""
    return "|".join(parts)
