"""Fill a record's fields: values checked against choice lists, the caller.

Allowed values come from the Choice [sys_choice] table, per table and
column, active choices only. A column with choices of its own on the
configured table uses those; otherwise the choices defined on `task`
apply, as they do for the tables that extend it (incident, problem,
change_request). A column with no choices at all (free text, references)
is not checked. Lists are kept per tracker for `CHOICE_TTL` seconds, so a
changed list is picked up without a restart.

The caller is the active sys_user whose email is the requester's address;
when there is none the address goes into the description instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.trackers.servicenow_http import Call, ServiceNowClient, checked_name
from adapters.trackers.servicenow_journal import queryable
from mailroom.config import ServiceNowConfig
from mailroom.models import Address, FieldProblem

logger = logging.getLogger(__name__)

CHOICE_TTL = 600.0
SHOWN_CHOICES = 12


@dataclass(frozen=True)
class Choice:
    """One allowed value of a column, with the label people see."""

    value: str
    label: str

    def accepts(self, given: str) -> bool:
        """Tell whether `given` names this choice by value or by label.

        Labels such as "1 - High" also answer to the part after the dash.
        """
        wanted = given.strip().casefold()
        label = self.label.strip().casefold()
        short = label.split(" - ", 1)[-1]
        return given.strip() == self.value or wanted in (label, short)


class ChoiceLists:
    """Read and keep the choice lists of one table's columns."""

    def __init__(
        self,
        client: ServiceNowClient,
        table: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._table = table
        self._clock = clock
        self._kept: dict[str, tuple[float, list[Choice]]] = {}

    def choices(self, column: str) -> list[Choice]:
        """Return the active choices of `column`, empty if it has none."""
        kept = self._kept.get(column)
        if kept is not None and self._clock() - kept[0] < CHOICE_TTL:
            return kept[1]

        choices = self._fetch(column)
        self._kept[column] = (self._clock(), choices)
        return choices

    def resolve(self, field: str, column: str, value: str) -> str | FieldProblem:
        """Return the value to store for `value`, or why it does not fit."""
        choices = self.choices(column)
        if not choices:
            return value
        for choice in choices:
            if choice.accepts(value):
                return choice.value

        shown = ", ".join(c.label or c.value for c in choices[:SHOWN_CHOICES])
        reason = f"not a choice of {self._table}.{column} (allowed: {shown})"
        return FieldProblem(field=field, value=value, reason=reason)

    def _fetch(self, column: str) -> list[Choice]:
        tables = [self._table] if self._table == "task" else [self._table, "task"]
        names = "^OR".join(f"name={table}" for table in tables)
        query = f"{names}^element={column}^inactive=false^ORDERBYsequence"
        params = {"sysparm_query": query, "sysparm_fields": "name,value,label"}
        call = Call(f"reading the choices of {column!r}", table="sys_choice")
        rows = self._client.get("/api/now/table/sys_choice", params, call)

        by_table: dict[str, list[Choice]] = {}
        for row in rows if isinstance(rows, list) else []:
            choice = Choice(str(row.get("value", "")), str(row.get("label", "")))
            by_table.setdefault(str(row.get("name", "")), []).append(choice)
        own = by_table.get(self._table)
        return own if own else by_table.get("task", [])


def find_caller(
    client: ServiceNowClient, column: str | None, requester: Address | None
) -> tuple[str | None, str | None]:
    """Return the requester's sys_user id, or a note saying there is none."""
    if column is None or requester is None:
        return None, None

    email = requester.email.strip()
    rows: Any = []
    if "@" in email and queryable(email):
        query = f"active=true^email={email}"
        if email.lower() != email:
            query += f"^ORemail={email.lower()}"
        params = {"sysparm_query": query, "sysparm_fields": "sys_id"}
        call = Call("looking up the caller", table="sys_user")
        rows = client.get(
            "/api/now/table/sys_user", params | {"sysparm_limit": "1"}, call
        )
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("sys_id"):
            return str(row["sys_id"]), None

    logger.info("servicenow.caller_not_found", extra={"tool": client.name})
    who = f"{requester.name} <{email}>" if requester.name else email
    return None, f"Requester: {who}. No active ServiceNow user has this address."


def mapped_columns(name: str, section: ServiceNowConfig) -> dict[str, str]:
    """Return the field map with every column name checked."""
    return {
        field: checked_name(column, f"trackers.{name}.field_map.{field}")
        for field, column in section.field_map.items()
    }
