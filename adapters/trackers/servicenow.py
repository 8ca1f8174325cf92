"""ServiceNow as a tracker: records in one table through the Table API.

A ticket is a record of the configured table (incident by default); its key
is the record's number (INC0012345) and its URL the documented classic form
`<instance>/nav_to.do?uri=<table>.do?sys_id=<sys_id>`. The record carries
Mailroom's correlation id in `correlation_id` (with `correlation_display`
"Mailroom"), which is how a retried create finds it.

Public comments go to the `comments` journal, internal ones to
`work_notes`; each ends with Mailroom's mark, looked up before writing, so
a comment lands once. Files go through the Attachment API, once per name
and size. `link` sets `parent_incident` on incidents (the linked ticket
becomes the parent); other tables get a work note naming the related
number. The requester becomes the caller (`field_map.requester`, by default
`caller_id` on incident) when a sys_user has their address.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from adapters.trackers.servicenow_events import read_webhook
from adapters.trackers.servicenow_fields import ChoiceLists, find_caller, mapped_columns
from adapters.trackers.servicenow_http import Call, ServiceNowClient
from adapters.trackers.servicenow_journal import mark, marked, queryable
from adapters.trackers.servicenow_text import (
    comment_text,
    event_note,
    link_note,
    record_texts,
)
from adapters.trackers.signatures import WebhookRejectedError
from mailroom.config import ServiceNowConfig
from mailroom.errors import PermanentError
from mailroom.models import (
    Attachment,
    CommentDraft,
    FieldProblem,
    TicketDraft,
    TicketRef,
)

__all__ = [
    "ServiceNowTracker",
    "WebhookRejectedError",
    "build_tracker",
    "read_webhook",
]

logger = logging.getLogger(__name__)

CORRELATION_DISPLAY = "Mailroom"
_ID_ONLY = {"sysparm_fields": "sys_id"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Plan = tuple[dict[str, str], list[FieldProblem], dict[str, str]]


class ServiceNowTracker:
    """Serve the Tracker port from one ServiceNow table."""

    def __init__(
        self,
        name: str,
        section: ServiceNowConfig,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._name = name
        self._client = ServiceNowClient(name, section, http, clock)
        self._table = self._client.table
        self._columns = mapped_columns(name, section)
        self._caller = self._columns.pop("requester", None)
        if self._caller is None and self._table == "incident":
            self._caller = "caller_id"
        self._choices = ChoiceLists(self._client, self._table)
        self._sys_ids: dict[str, str] = {}

    def check_fields(self, draft: TicketDraft) -> list[FieldProblem]:
        """Return the mapped values of `draft` that the tool would not accept."""
        return self._plan(draft)[1]

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the record created for `correlation_id`, if any."""
        _require_queryable(correlation_id)
        query = (
            f"correlation_display={CORRELATION_DISPLAY}"
            f"^correlation_id={correlation_id}^ORDERBYsys_created_on"
        )
        params = {
            "sysparm_query": query,
            "sysparm_fields": "sys_id,number,correlation_id",
            "sysparm_limit": "1",
        }
        rows = self._client.get(self._path(), params, Call("finding a record"))
        for row in _rows(rows):
            if "correlation_id" not in row:
                raise PermanentError(
                    f"table {self._table!r} has no correlation_id column, so "
                    "Mailroom cannot find its records again; set "
                    f"trackers.{self._name}.table to a table that extends task"
                )
            if row["correlation_id"] == correlation_id:
                return self._remember(row)
        return None

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a record with the mapped values that fit; report the rest."""
        columns, problems, others = self._plan(draft)
        caller, caller_note = find_caller(self._client, self._caller, draft.requester)
        summary, description = record_texts(draft, [*draft.problems, *problems], others)
        body = {
            **columns,
            "short_description": summary,
            "description": "\n\n".join(filter(None, [description, caller_note])),
            "correlation_id": draft.correlation_id,
            "correlation_display": CORRELATION_DISPLAY,
        }
        if caller is not None and self._caller is not None:
            body[self._caller] = caller

        params = {"sysparm_fields": "sys_id,number"}
        row = self._client.post(self._path(), body, params, Call("creating a record"))
        ref = self._remember(row if isinstance(row, dict) else {})
        logger.info(
            "servicenow.ticket_created",
            extra={"tool": self._name, "ticket": ref.key, "problems": len(problems)},
        )
        return ref

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment (or a work note) once per correlation id."""
        _require_queryable(comment.correlation_id)
        sys_id = self._sys_id(key)
        added = not self._journal_has(sys_id, comment.correlation_id)
        if added:
            column = "comments" if comment.public else "work_notes"
            text = marked(comment_text(comment), comment.correlation_id)
            call = Call("adding a comment", record=key)
            self._client.patch(self._path(sys_id), {column: text}, _ID_ONLY, call)
        logger.info(
            "servicenow.comment",
            extra={"tool": self._name, "ticket": key, "added": added},
        )

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Attach a file unless one with its name and size is there already."""
        if hashlib.sha256(data).hexdigest() != attachment.sha256.lower():
            raise PermanentError(
                f"the bytes of an attachment for {key} do not match its "
                "sha256; pass the file the description was made from"
            )
        sys_id = self._sys_id(key)
        name = _CONTROL.sub("_", attachment.filename) or "attachment"
        added = not self._has_file(key, sys_id, name, len(data))
        if added:
            params = {
                "table_name": self._table,
                "table_sys_id": sys_id,
                "file_name": name,
            }
            kind = attachment.content_type or "application/octet-stream"
            call = Call("attaching a file", record=key)
            self._client.upload("/api/now/attachment/file", params, data, kind, call)
        logger.info(
            "servicenow.attached",
            extra={"tool": self._name, "ticket": key, "added": added},
        )

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Make `other_key` the parent incident, or note it on other tables."""
        if self._table != "incident":
            self.add_comment(key, link_note(other_key, relation))
            return

        body = {"parent_incident": self._sys_id(other_key)}
        call = Call("linking a parent incident", record=key)
        self._client.patch(self._path(self._sys_id(key)), body, _ID_ONLY, call)

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Write a work note recording something that happened to the mail."""
        text = event_note(event, detail)
        call = Call("recording an event", record=key)
        self._client.patch(
            self._path(self._sys_id(key)), {"work_notes": text}, _ID_ONLY, call
        )

    def _plan(self, draft: TicketDraft) -> Plan:
        """Split the draft's fields into columns to send, problems and others."""
        columns: dict[str, str] = {}
        problems: list[FieldProblem] = []
        others: dict[str, str] = {}
        for field, value in draft.fields.items():
            column = self._columns.get(field)
            if column is None:
                others[field] = value
                continue
            resolved = self._choices.resolve(field, column, value)
            if isinstance(resolved, FieldProblem):
                problems.append(resolved)
            else:
                columns[column] = resolved
        return columns, problems, others

    def _journal_has(self, sys_id: str, correlation_id: str) -> bool:
        """Tell whether a journal entry of the record carries the mark."""
        query = f"element_id={sys_id}^valueLIKE{mark(correlation_id)}"
        params = {
            "sysparm_query": query,
            "sysparm_fields": "sys_id",
            "sysparm_limit": "1",
        }
        call = Call("looking for an earlier comment", table="sys_journal_field")
        rows = self._client.get("/api/now/table/sys_journal_field", params, call)
        return bool(_rows(rows))

    def _has_file(self, key: str, sys_id: str, name: str, size: int) -> bool:
        """Tell whether the record holds a file with this name and size."""
        params = {"sysparm_query": f"table_sys_id={sys_id}"}
        call = Call("listing attachments", table="sys_attachment", record=key)
        rows = self._client.get("/api/now/attachment", params, call)
        return any(
            row.get("file_name") == name and str(row.get("size_bytes")) == str(size)
            for row in _rows(rows)
        )

    def _sys_id(self, key: str) -> str:
        """Return the sys_id of the record numbered `key`."""
        known = self._sys_ids.get(key)
        if known is not None:
            return known

        _require_queryable(key)
        params = {
            "sysparm_query": f"number={key}",
            "sysparm_fields": "sys_id,number",
            "sysparm_limit": "1",
        }
        rows = self._client.get(
            self._path(), params, Call("finding a record by number")
        )
        for row in _rows(rows):
            if row.get("number") == key:
                self._remember(row)
                return self._sys_ids[key]
        raise PermanentError(
            f"ServiceNow (trackers.{self._name}) has no record {key} in table "
            f"{self._table!r}; it was deleted, or the account cannot read it"
        )

    def _remember(self, row: dict[str, Any]) -> TicketRef:
        """Keep a record's number and sys_id; return its reference."""
        sys_id, number = str(row.get("sys_id") or ""), str(row.get("number") or "")
        if not sys_id or not number:
            raise PermanentError(
                f"records of table {self._table!r} have no number, which Mailroom "
                f"uses as the ticket key; set trackers.{self._name}.table to a "
                "numbered table such as incident"
            )
        self._sys_ids[number] = sys_id
        url = f"{self._client.base}/nav_to.do?uri={self._table}.do?sys_id={sys_id}"
        return TicketRef(tool=self._name, key=number, url=url)

    def _path(self, sys_id: str | None = None) -> str:
        path = f"/api/now/table/{self._table}"
        return f"{path}/{sys_id}" if sys_id else path


def build_tracker(
    name: str, section: ServiceNowConfig, *, http: httpx.Client | None = None
) -> ServiceNowTracker:
    """Return the tracker of one configured ServiceNow tool."""
    return ServiceNowTracker(name, section, http)


def _rows(result: Any) -> list[dict[str, Any]]:
    """Return the records of a list result, dropping anything else."""
    if not isinstance(result, list):
        return []
    return [row for row in result if isinstance(row, dict)]


def _require_queryable(value: str) -> None:
    """Refuse a Mailroom id or key that cannot stand in an encoded query."""
    if not queryable(value):
        raise PermanentError(
            "a correlation id or ticket key holds a caret, a line break or "
            "'javascript:', which ServiceNow queries cannot carry; it is not "
            "one Mailroom made"
        )
