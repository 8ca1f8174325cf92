"""An in-memory ServiceNow instance behind httpx.MockTransport.

It answers the Table API (any configured table, sys_user, sys_choice,
sys_journal_field) and the Attachment API in the shapes of ServiceNow's
REST reference, keeps its habit of ignoring query conditions on columns a
table lacks, and can be told to fail or to lose its answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from adapters.trackers.servicenow import ServiceNowTracker, build_tracker
from mailroom.config import ServiceNowConfig

INSTANCE = "https://example.service-now.com"
USER, PASSWORD = "mailroom.integration", "pw-not-for-logs"
SECRET = "shared-secret-for-tests"
FIELD_MAP = {"urgency": "urgency", "impact": "impact", "category": "category"}

TASK_COLUMNS = (
    "short_description",
    "description",
    "correlation_id",
    "correlation_display",
    "urgency",
    "impact",
    "category",
    "state",
)
COLUMNS = {
    "incident": (*TASK_COLUMNS, "caller_id", "parent_incident"),
    "sc_task": TASK_COLUMNS,
    "u_note": ("short_description", "description"),
}
PREFIXES = {"incident": "INC", "sc_task": "SCTASK", "u_note": "NOTE"}
JOURNALS = ("comments", "work_notes")
SYSTEM = {
    "sys_user": ("email", "active", "user_name", "name"),
    "sys_choice": ("name", "element", "value", "label", "inactive", "sequence"),
    "sys_journal_field": ("element_id", "element", "name", "value"),
}
_CONDITION = re.compile(r"([a-z_][a-z0-9_.]*?)(LIKE|!=|=)(.*)", re.DOTALL)
_NUMBER = re.compile(r"\b[A-Z]{2,}\d{7}\b")


@dataclass
class Failure:
    """A status the instance answers instead of doing the work."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeServiceNow:
    """A ServiceNow instance in memory, served through `client()`."""

    def __init__(self, tables: tuple[str, ...] = ("incident",)) -> None:
        self.columns = {t: COLUMNS[t] for t in tables} | SYSTEM
        self.rows: dict[str, list[dict[str, str]]] = {t: [] for t in self.columns}
        self.files: list[dict[str, str]] = []
        self.blobs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.failures: list[Failure] = []
        self.lost = 0
        self.lose_each_write_once = False
        self._writes_lost: set[tuple[str, str]] = set()
        self._ids = itertools.count(1)
        self._numbers = itertools.count(10001)
        pair = f"{USER}:{PASSWORD}".encode()
        self.authorization = "Basic " + base64.b64encode(pair).decode()
        self.add_default_choices()

    def client(self) -> httpx.Client:
        """Return an httpx client whose requests this instance answers."""
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def fail(
        self, status: int, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        """Answer the next `times` requests with `status` and nothing done."""
        self.failures.extend(Failure(status, headers or {}) for _ in range(times))

    def add_user(self, email: str, active: bool = True) -> str:
        """Add a sys_user with `email`; return its sys_id."""
        values = {"email": email, "active": str(active).lower(), "user_name": email}
        return self._insert("sys_user", values)["sys_id"]

    def add_choices(self, table: str, element: str, *pairs: tuple[str, str]) -> None:
        """Add active choices (value, label) of a column."""
        for sequence, (value, label) in enumerate(pairs):
            row = {"name": table, "element": element, "value": value, "label": label}
            self._insert(
                "sys_choice", {**row, "inactive": "false", "sequence": str(sequence)}
            )

    def add_default_choices(self) -> None:
        """Add urgency and impact on task, category on incident."""
        levels = (("1", "1 - High"), ("2", "2 - Medium"), ("3", "3 - Low"))
        self.add_choices("task", "urgency", *levels)
        self.add_choices("task", "impact", *levels)
        kinds = (
            ("inquiry", "Inquiry / Help"),
            ("software", "Software"),
            ("network", "Network"),
        )
        self.add_choices("incident", "category", *kinds)

    def record(self, table: str, key: str) -> dict[str, str]:
        """Return the record numbered `key`."""
        return next(row for row in self.rows[table] if row.get("number") == key)

    def journal(self, sys_id: str) -> list[dict[str, str]]:
        """Return a record's journal entries, oldest first."""
        return [r for r in self.rows["sys_journal_field"] if r["element_id"] == sys_id]

    def comment_as(self, table: str, key: str, text: str) -> dict[str, str]:
        """Add a comment as an agent on the form would; return its entry."""
        row = self.record(table, key)
        self._apply(table, row, {"comments": text})
        return self.journal(row["sys_id"])[-1]

    def rule_body(self, table: str, key: str, entry: dict[str, str]) -> bytes:
        """Return what the documented business rule sends for a comment."""
        row = self.record(table, key)
        event = {
            "number": key,
            "sys_id": row["sys_id"],
            "event": "comment",
            "comment": entry["value"],
            "author_email": "agent@example.com",
            "short_description": row["short_description"],
            "state": row["state"],
            "sys_updated_on": entry["sys_created_on"],
            "journal_sys_id": entry["sys_id"],
            "correlation_display": row["correlation_display"],
        }
        return json.dumps(event).encode()

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as the instance would."""
        self.requests.append((request.method, request.url.path))
        if request.headers.get("Authorization") != self.authorization:
            return _error(401, "User Not Authenticated")
        if self.failures:
            failure = self.failures.pop(0)
            return _error(failure.status, "Failure forced by the test", failure.headers)

        response = self._route(request)
        if self.lost or self._lose_write(request):
            self.lost = max(0, self.lost - 1)
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response

    def _lose_write(self, request: httpx.Request) -> bool:
        """Tell whether to lose this write's answer (the first of each kind)."""
        write = (request.method, request.url.path)
        if not self.lose_each_write_once or request.method == "GET":
            return False
        if write in self._writes_lost:
            return False
        self._writes_lost.add(write)
        return True

    def _route(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        params = dict(request.url.params)
        if parts[:3] == ["api", "now", "table"] and len(parts) in (4, 5):
            if parts[3] not in self.columns:
                return _error(400, f"Invalid table {parts[3]}")
            if request.method == "GET" and len(parts) == 4:
                return _ok(200, self._select(parts[3], params))
            if request.method == "POST" and len(parts) == 4:
                row = self._insert(parts[3], json.loads(request.content))
                return _ok(201, _only(row, params))
            if request.method == "PATCH" and len(parts) == 5:
                return self._update(parts[3], parts[4], request, params)
        if parts == ["api", "now", "attachment"] and request.method == "GET":
            return _ok(200, _select_rows(self.files, params))
        if parts == ["api", "now", "attachment", "file"] and request.method == "POST":
            return self._upload(request, params)
        return _error(400, "Requested URI does not represent any resource")

    def _select(self, table: str, params: dict[str, str]) -> list[dict[str, str]]:
        return _select_rows(self.rows[table], params)

    def _insert(self, table: str, values: dict[str, Any]) -> dict[str, str]:
        serial = next(self._ids)
        created = datetime(2024, 5, 1, 9, tzinfo=UTC) + timedelta(seconds=serial)
        row = {c: "" for c in self.columns[table]}
        row |= {
            "sys_id": f"{serial:032x}",
            "sys_created_on": f"{created:%Y-%m-%d %H:%M:%S}",
        }
        if table in PREFIXES:
            row["number"] = f"{PREFIXES[table]}{next(self._numbers):07d}"
        self.rows[table].append(row)
        self._apply(table, row, values)
        return row

    def _update(
        self, table: str, sys_id: str, request: httpx.Request, params: dict[str, str]
    ) -> httpx.Response:
        row = next((r for r in self.rows[table] if r["sys_id"] == sys_id), None)
        if row is None:
            return _error(404, "No Record found")
        self._apply(table, row, json.loads(request.content))
        return _ok(200, _only(row, params))

    def _apply(self, table: str, row: dict[str, str], values: dict[str, Any]) -> None:
        """Set known columns; journal fields become sys_journal_field entries."""
        for name, value in values.items():
            if name in JOURNALS and table in PREFIXES:
                entry = {"element_id": row["sys_id"], "element": name, "name": table}
                self._insert("sys_journal_field", {**entry, "value": str(value)})
            elif name in row:
                row[name] = str(value)

    def _upload(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        needed = ("table_name", "table_sys_id", "file_name")
        if any(not params.get(name) for name in needed):
            return _error(400, "Missing parameter")
        if not request.headers.get("Content-Type"):
            return _error(400, "Content-Type is mandatory")
        rows = self.rows.get(params["table_name"], [])
        if all(row["sys_id"] != params["table_sys_id"] for row in rows):
            return _error(404, "Record does not exist or is not accessible")

        data = request.read()
        meta = {name: params[name] for name in needed}
        meta |= {"sys_id": f"a{next(self._ids):031x}", "size_bytes": str(len(data))}
        meta["content_type"] = request.headers["Content-Type"]
        self.files.append(meta)
        self.blobs[meta["sys_id"]] = data
        return _ok(201, meta)


class ServiceNowProbe:
    """Read the fake instance as a person would on the record's form."""

    def __init__(self, fake: FakeServiceNow, table: str = "incident") -> None:
        self.fake = fake
        self.table = table

    def summary(self, key: str) -> str:
        """Return the short description."""
        return self.fake.record(self.table, key)["short_description"]

    def comments(self, key: str) -> list[tuple[str, bool]]:
        """Return (text, public) per journal entry."""
        sys_id = self.fake.record(self.table, key)["sys_id"]
        entries = self.fake.journal(sys_id)
        return [(e["value"], e["element"] == "comments") for e in entries]

    def files(self, key: str) -> list[tuple[str, bytes]]:
        """Return (name, bytes) per attachment."""
        sys_id = self.fake.record(self.table, key)["sys_id"]
        found = [m for m in self.fake.files if m["table_sys_id"] == sys_id]
        return [(m["file_name"], self.fake.blobs[m["sys_id"]]) for m in found]

    def links(self, key: str) -> list[str]:
        """Return the parent incident's number and numbers named in work notes."""
        row = self.fake.record(self.table, key)
        parent = row.get("parent_incident") or None
        rows = self.fake.rows[self.table]
        linked = [r["number"] for r in rows if r["sys_id"] == parent]
        notes = [e["value"] for e in self.fake.journal(row["sys_id"])]
        named = [n for note in notes for n in _NUMBER.findall(note) if n != key]
        return linked + named

    def field(self, key: str, name: str) -> str | None:
        """Return the column a Mailroom field maps to."""
        return self.fake.record(self.table, key).get(FIELD_MAP.get(name, name))


def signed(
    body: bytes, at: datetime, secret: str = SECRET, hexed: bool = False
) -> tuple[dict[str, str], bytes]:
    """Sign `body` as the business rule does: HMAC of "<time stamp>.<body>"."""
    stamp = str(int(at.timestamp()))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    mac = digest.hexdigest() if hexed else base64.b64encode(digest.digest()).decode()
    headers = {"X-Mailroom-Timestamp": stamp, "X-Mailroom-Signature": f"sha256={mac}"}
    return headers, body


def settings(**overrides: Any) -> dict[str, Any]:
    """Return the YAML-shaped settings of a tool on the fake instance."""
    values: dict[str, Any] = {
        "kind": "servicenow",
        "instance_url": INSTANCE,
        "username": USER,
        "password": PASSWORD,
        "shared_secret": SECRET,
        "field_map": FIELD_MAP,
    }
    return values | overrides


def section(**overrides: Any) -> ServiceNowConfig:
    """Return a ServiceNow section pointing at the fake instance."""
    return ServiceNowConfig.model_validate(settings(**overrides))


def tracker(fake: FakeServiceNow, **overrides: Any) -> ServiceNowTracker:
    """Return the adapter, named "snow", wired to `fake`."""
    return build_tracker("snow", section(**overrides), http=fake.client())


def _select_rows(
    rows: list[dict[str, str]], params: dict[str, str]
) -> list[dict[str, str]]:
    """Filter, order, limit and trim rows as sysparm_* ask."""
    groups, order = _parse(params.get("sysparm_query", ""))
    found = [row for row in rows if all(any(c(row) for c in g) for g in groups)]
    for column, descending in reversed(order):
        found.sort(key=lambda row: row.get(column, ""), reverse=descending)
    limit = int(params.get("sysparm_limit", "10000"))
    return [_only(row, params) for row in found[:limit]]


Condition = Callable[[dict[str, str]], bool]


def _parse(query: str) -> tuple[list[list[Condition]], list[tuple[str, bool]]]:
    """Read an encoded query into AND-ed groups of OR-ed conditions."""
    groups: list[list[Condition]] = []
    order: list[tuple[str, bool]] = []
    for part in filter(None, query.split("^")):
        if part.startswith("ORDERBYDESC"):
            order.append((part.removeprefix("ORDERBYDESC"), True))
        elif part.startswith("ORDERBY"):
            order.append((part.removeprefix("ORDERBY"), False))
        elif part.startswith("OR") and groups:
            groups[-1].append(_condition(part.removeprefix("OR")))
        else:
            groups.append([_condition(part)])
    return groups, order


def _condition(text: str) -> Condition:
    """Return a test of one condition; unknown columns match, as on an instance."""
    match = _CONDITION.fullmatch(text)
    assert match is not None, f"the fake cannot read the condition {text!r}"
    column, operator, value = match.groups()

    def test(row: dict[str, str]) -> bool:
        if column not in row:
            return True
        if operator == "LIKE":
            return value.lower() in row[column].lower()
        return (row[column] == value) == (operator == "=")

    return test


def _only(row: dict[str, str], params: dict[str, str]) -> dict[str, str]:
    """Keep the fields sysparm_fields names (unknown ones are ignored)."""
    wanted = params.get("sysparm_fields")
    if not wanted:
        return dict(row)
    return {name: row[name] for name in wanted.split(",") if name in row}


def _ok(status: int, result: Any) -> httpx.Response:
    return httpx.Response(status, json={"result": result})


def _error(
    status: int, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    body = {"error": {"message": message, "detail": None}, "status": "failure"}
    return httpx.Response(status, json=body, headers=headers)
