"""The local tracker: tickets in SQLite, files by hash, each with a real URL.

Every write is idempotent the way the Tracker port asks: one ticket per
correlation id, one comment per correlation id and ticket, one attachment
per content hash and name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adapters.blobs.folder import FolderBlobs
from adapters.sqlite_db import SqliteDatabase
from adapters.trackers import local_schema as sql
from adapters.trackers.local_views import (
    AttachmentView,
    CommentView,
    EventView,
    LinkView,
    TicketView,
)
from mailroom.config_values import LOCAL_PROJECT
from mailroom.errors import BlobNotFoundError, ConfigurationError, PermanentError
from mailroom.models import (
    Address,
    Attachment,
    CommentDraft,
    FieldProblem,
    TicketDraft,
    TicketRef,
)
from mailroom.ports import BlobStore

logger = logging.getLogger(__name__)

_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class LocalTracker:
    """Serve the Tracker port from a SQLite file and a blob store for files."""

    def __init__(
        self,
        db_path: Path | str,
        blobs: Path | str | BlobStore,
        base_url: str,
        project: str = "HELP",
        *,
        tool: str = "local",
    ) -> None:
        if not LOCAL_PROJECT.fullmatch(project):
            raise ConfigurationError(
                f"the tracker project {project!r} is not a key prefix; use 1 to "
                "10 upper-case letters and digits, starting with a letter"
            )
        self._db = SqliteDatabase(db_path, sql.SCHEMA)
        self._upgrade()
        self._blobs = blobs if not isinstance(blobs, str | Path) else FolderBlobs(blobs)
        self._base = base_url.rstrip("/")
        self._project = project
        self._tool = tool

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the ticket created for `correlation_id`, if any."""
        row = self._db.execute(sql.KEY_BY_CORRELATION, (correlation_id,)).fetchone()
        return None if row is None else self._ref(row[0])

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a ticket, or return the one already open for its correlation id."""
        with self._db.transaction() as conn:
            row = conn.execute(sql.KEY_BY_CORRELATION, (draft.correlation_id,))
            existing = row.fetchone()
            if existing is not None:
                return self._ref(existing[0])

            number = conn.execute(sql.NEXT_NUMBER, (self._project,)).fetchone()[0]
            key = f"{self._project}-{number}"
            conn.execute(sql.INSERT_TICKET, _ticket_row(self._project, number, draft))

        logger.info("tracker.ticket_created", extra={"ticket": key})
        return self._ref(key)

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment once per correlation id."""
        self._require(key)
        row = (
            key,
            comment.correlation_id,
            _dump(comment.author),
            comment.body,
            comment.public,
            comment.outgoing,
            _stamp(),
            comment.full_text,
        )
        cursor = self._db.execute(sql.INSERT_COMMENT, row)
        added = cursor.rowcount == 1
        logger.info("tracker.comment", extra={"ticket": key, "added": added})

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Attach a file once per content hash and name."""
        self._require(key)
        digest = hashlib.sha256(data).hexdigest()
        if digest != attachment.sha256.lower():
            raise PermanentError(
                f"the bytes of an attachment for {key} do not match its "
                "sha256; pass the file the description was made from"
            )

        self._blobs.put(f"files/{digest}", data)
        with self._db.transaction() as conn:
            added = _insert_attachment(conn, key, attachment, digest, len(data))
        logger.info("tracker.attached", extra={"ticket": key, "added": added})

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Relate two tickets of this tool, once per relation."""
        self._require(key)
        self._require(other_key)
        self._db.execute(sql.INSERT_LINK, (key, other_key, relation, _stamp()))

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Record something that happened to the ticket's mail."""
        self._require(key)
        self._db.execute(sql.INSERT_EVENT, (key, event, json.dumps(detail), _stamp()))

    def list_tickets(self) -> list[TicketView]:
        """Return every ticket, newest first."""
        keys = [row[0] for row in self._db.execute(sql.ALL_KEYS).fetchall()]
        return [view for key in keys if (view := self.get_ticket(key)) is not None]

    def get_ticket(self, key: str) -> TicketView | None:
        """Return a ticket with its thread, files, links and events, or None."""
        row = self._db.execute(sql.TICKET_BY_KEY, (key,)).fetchone()
        if row is None:
            return None
        return TicketView(
            **_ticket_fields(row),
            url=self._ticket_url(key),
            comments=self._comments(key),
            attachments=self._attachments(key),
            links=self._links(key),
            events=self._events(key),
        )

    def attachment_bytes(self, key: str, filename: str) -> bytes:
        """Return the bytes of a ticket's file; raise BlobNotFoundError."""
        row = self._db.execute(sql.ATTACHMENT_HASH, (key, filename)).fetchone()
        if row is None:
            raise BlobNotFoundError(
                f"ticket {key} has no attachment by that name; check the link"
            )
        return self._blobs.get(f"files/{row[0]}")

    def _upgrade(self) -> None:
        """Add columns that newer versions keep to a tracker made earlier."""
        columns = {row[1] for row in self._db.execute(sql.COMMENT_COLUMNS).fetchall()}
        if "full_text" not in columns:
            self._db.execute(sql.ADD_FULL_TEXT)

    def close(self) -> None:
        """Close the database connections."""
        self._db.close()

    def _comments(self, key: str) -> list[CommentView]:
        rows = self._db.execute(sql.COMMENTS, (key,)).fetchall()
        return [
            CommentView(
                author=_load_address(author),
                body=body,
                public=bool(public),
                outgoing=bool(outgoing),
                created_at=created_at,
                full_text=full_text,
            )
            for author, body, public, outgoing, created_at, full_text in rows
        ]

    def _attachments(self, key: str) -> list[AttachmentView]:
        rows = self._db.execute(sql.ATTACHMENTS, (key,)).fetchall()
        return [
            AttachmentView(
                filename=name,
                content_type=content_type,
                size=size,
                sha256=digest,
                content_id=content_id,
                inline=bool(inline),
                url=f"{self._ticket_url(key)}/files/{quote(name, safe='')}",
            )
            for name, content_type, size, digest, content_id, inline in rows
        ]

    def _links(self, key: str) -> list[LinkView]:
        rows = self._db.execute(sql.LINKS, (key, key)).fetchall()
        return [
            LinkView(
                other_key=other,
                relation=relation,
                inward=bool(inward),
                url=self._ticket_url(other),
            )
            for other, relation, inward in rows
        ]

    def _events(self, key: str) -> list[EventView]:
        rows = self._db.execute(sql.EVENTS, (key,)).fetchall()
        return [
            EventView(kind=kind, detail=json.loads(detail), at=at)
            for kind, detail, at in rows
        ]

    def _require(self, key: str) -> None:
        if self._db.execute(sql.TICKET_EXISTS, (key,)).fetchone() is None:
            raise PermanentError(
                f"ticket {key} does not exist in the local tracker; check the "
                "key recorded for this mail"
            )

    def _ref(self, key: str) -> TicketRef:
        return TicketRef(tool=self._tool, key=key, url=self._ticket_url(key))

    def _ticket_url(self, key: str) -> str:
        return f"{self._base}/tracker/{quote(key, safe='')}"


def _insert_attachment(
    conn: sqlite3.Connection,
    key: str,
    attachment: Attachment,
    digest: str,
    size: int,
) -> bool:
    """Insert an attachment unless this hash and name are there already."""
    original = safe_filename(attachment.filename)
    if conn.execute(sql.ATTACHMENT_SEEN, (key, original, digest)).fetchone():
        return False

    taken = {row[0] for row in conn.execute(sql.ATTACHMENT_NAMES, (key,))}
    name = _unique_name(original, taken)
    row = (
        *(key, name, original, attachment.content_type, size, digest),
        *(attachment.content_id, attachment.inline, _stamp()),
    )
    conn.execute(sql.INSERT_ATTACHMENT, row)
    return True


def safe_filename(name: str) -> str:
    """Return the last path part of `name`, without control characters."""
    last = re.split(r"[/\\]", name)[-1]
    cleaned = _UNSAFE_IN_NAME.sub("", last).strip().lstrip(".")
    return cleaned[:200] or "attachment"


def _unique_name(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{suffix}"
    return candidate


def _ticket_row(project: str, number: int, draft: TicketDraft) -> tuple[Any, ...]:
    problems = [problem.model_dump() for problem in draft.problems]
    return (
        f"{project}-{number}",
        project,
        number,
        draft.summary,
        draft.description,
        _dump(draft.requester),
        json.dumps(draft.fields),
        json.dumps(problems),
        draft.correlation_id,
        _stamp(),
    )


def _ticket_fields(row: tuple[Any, ...]) -> dict[str, Any]:
    key, summary, description, requester, fields, problems = row[:6]
    status, correlation_id, created_at = row[6:]
    return {
        "key": key,
        "summary": summary,
        "description": description,
        "requester": _load_address(requester),
        "fields": json.loads(fields),
        "problems": [FieldProblem(**p) for p in json.loads(problems)],
        "status": status,
        "correlation_id": correlation_id,
        "created_at": created_at,
    }


def _dump(address: Address | None) -> str | None:
    return None if address is None else address.model_dump_json()


def _load_address(text: str | None) -> Address | None:
    return None if text is None else Address.model_validate_json(text)


def _stamp() -> str:
    return datetime.now(UTC).isoformat()
