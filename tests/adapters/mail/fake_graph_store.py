"""The fake Graph's mail: folders of MIME, a change log, and delta rounds."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import httpx

# Graph sends $value in chunks (Transfer-Encoding: chunked), not in one piece.
CHUNK_BYTES = 64 * 1024


class ChunkedBody(httpx.AsyncByteStream):
    """A response body that arrives in chunks, as over the network."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """Yield the body a chunk at a time."""
        for start in range(0, len(self._data), CHUNK_BYTES):
            yield self._data[start : start + CHUNK_BYTES]


GONE = {"code": "ErrorItemNotFound", "message": "The object was not found."}


def graph_time(moment: datetime) -> str:
    """Format a time as Graph does: UTC with a trailing Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_item_id() -> str:
    """Return an id shaped like Graph's: URL-safe base64, often with - _ =."""
    return "AAMkAGI2" + base64.urlsafe_b64encode(uuid.uuid4().bytes + b"\xfb").decode()


@dataclass
class StoredMail:
    """One mail in a folder, with the time it arrived."""

    item_id: str
    mailbox: str
    folder: str
    raw: bytes
    received: datetime


@dataclass
class FakeMailStore:
    """Mailboxes of MIME mail, logged so that delta can replay changes."""

    users: dict[str, str] = field(default_factory=dict)
    mails: dict[str, StoredMail] = field(default_factory=dict)
    log: list[tuple[str, str, str]] = field(default_factory=list)
    epoch: int = 0
    expired_status: int = 410
    page_size: int = 2

    def add(
        self,
        mailbox: str,
        folder: str,
        raw: bytes,
        received: datetime,
        item_id: str | None = None,
    ) -> str:
        """Store a mail; return its id."""
        item_id = item_id or new_item_id()
        self.mails[item_id] = StoredMail(item_id, mailbox, folder, raw, received)
        self.log.append((mailbox.lower(), folder.lower(), item_id))
        return item_id

    def move(self, item_id: str, folder: str) -> str:
        """Move a mail to another folder; return the folder it left."""
        mail = self.mails[item_id]
        source, mail.folder = mail.folder, folder
        self.log.append((mail.mailbox.lower(), folder.lower(), item_id))
        return source

    def remove(self, item_id: str) -> None:
        """Take a mail away: later reads answer 404."""
        self.mails.pop(item_id, None)

    def user_id(self, mailbox: str) -> str:
        """Return the directory id of a mailbox's user."""
        for user, address in self.users.items():
            if address.lower() == mailbox.lower():
                return user
        user = str(uuid.uuid5(uuid.NAMESPACE_URL, mailbox.lower()))
        self.users[user] = mailbox
        return user

    def mailbox_of(self, segment: str) -> str:
        """Return the address a path names by user id or address."""
        return self.users.get(segment, segment)

    def read(self, item_id: str) -> httpx.Response:
        """Answer GET message/$value: the MIME, as text/plain."""
        mail = self.mails.get(item_id)
        if mail is None:
            return httpx.Response(404, json={"error": GONE})
        return httpx.Response(
            200, stream=ChunkedBody(mail.raw), headers={"Content-Type": "text/plain"}
        )

    def find(self, mailbox: str, folder: str, query: str) -> httpx.Response:
        """Answer a `$filter=internetMessageId eq '...'` listing of a folder."""
        wanted = query.removeprefix("internetMessageId eq '").removesuffix("'")
        wanted = wanted.replace("''", "'")
        found = [
            {"id": mail.item_id}
            for mail in self._in(mailbox, folder)
            if _header(mail.raw, "Message-ID") == wanted
        ]
        return httpx.Response(200, json={"value": found})

    def delta(
        self, mailbox: str, folder: str, params: dict[str, str], base: str
    ) -> httpx.Response:
        """Answer one page of a delta round, with a next or a delta link."""
        token = params.get("$skiptoken") or params.get("$deltatoken")
        state = _decode(token) if token else self._first(params)
        if state is None or state["epoch"] != self.epoch:
            location = f"{base}/users/{mailbox}/mailFolders/{folder}/messages/delta"
            body = {"error": {"code": "syncStateNotFound", "message": "Expired."}}
            headers = {"Location": location + "?$deltatoken="}
            return httpx.Response(self.expired_status, json=body, headers=headers)

        if "$deltatoken" in params:
            state["upto"] = len(self.log) - 1
        ids = self._round(mailbox, folder, state)
        start = state["offset"]
        page = ids[start : start + self.page_size]
        link = f"{base}/users/{mailbox}/mailFolders/{folder}/messages/delta"
        if start + self.page_size < len(ids):
            after = {**state, "offset": start + self.page_size}
            next_link = {"@odata.nextLink": f"{link}?$skiptoken={_encode(after)}"}
        else:
            done = {**state, "after": state["upto"], "offset": 0, "since": None}
            next_link = {"@odata.deltaLink": f"{link}?$deltatoken={_encode(done)}"}
        value = [{"@odata.type": "#microsoft.graph.message", "id": i} for i in page]
        context = {"@odata.context": f"{base}/$metadata#Collection(message)"}
        return httpx.Response(200, json={**context, "value": value, **next_link})

    def _first(self, params: dict[str, str]) -> dict[str, Any]:
        since = params.get("$filter", "").removeprefix("receivedDateTime ge ")
        return {
            "epoch": self.epoch,
            "after": -1,
            "upto": len(self.log) - 1,
            "offset": 0,
            "since": since or None,
        }

    def _round(self, mailbox: str, folder: str, state: dict[str, Any]) -> list[str]:
        key = (mailbox.lower(), folder.lower())
        ids: dict[str, None] = {}
        for position in range(state["after"] + 1, state["upto"] + 1):
            box, where, item_id = self.log[position]
            mail = self.mails.get(item_id)
            present = mail is not None and mail.folder.lower() == key[1]
            if (box, where) == key and present:
                assert mail is not None
                since = state["since"]
                if since is None or graph_time(mail.received) >= since:
                    ids[item_id] = None
        return list(ids)

    def _in(self, mailbox: str, folder: str) -> list[StoredMail]:
        return [
            mail
            for mail in self.mails.values()
            if mail.mailbox.lower() == mailbox.lower()
            and mail.folder.lower() == folder.lower()
        ]


def _header(raw: bytes, name: str) -> str | None:
    value = message_from_bytes(raw, policy=policy.compat32)[name]
    return None if value is None else str(value).strip()


def _encode(state: dict[str, Any]) -> str:
    packed = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        padded = token + "=" * (-len(token) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def mime_of(message: dict[str, Any]) -> bytes:
    """Render a message resource as Exchange would serve its `$value`."""
    mail = EmailMessage()
    sender = message["from"]["emailAddress"]
    mail["From"] = Address(sender["name"], addr_spec=sender["address"])
    mail["To"] = [
        Address(r["emailAddress"]["name"], addr_spec=r["emailAddress"]["address"])
        for r in message.get("toRecipients", [])
    ]
    mail["Subject"] = message["subject"]
    sent = datetime.fromisoformat(message["sentDateTime"].replace("Z", "+00:00"))
    mail["Date"] = format_datetime(sent)
    mail["Message-ID"] = message["internetMessageId"]
    mail["Importance"] = message.get("importance", "normal")
    mail.set_content(message["body"]["content"].replace("\r\n", "\n"))
    return mail.as_bytes()
