"""An in-memory Jira behind httpx.MockTransport, answering in Jira's shapes.

It serves the REST paths Mailroom uses, for Cloud (/rest/api/3, ADF
bodies, /search/jql) or Data Center (/rest/api/2, wiki strings, /search),
checks the credentials, the XSRF header on uploads and the create screen,
can be told to fail the next requests, and signs the webhooks it sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
from email import policy
from email.parser import BytesParser
from typing import Any

import httpx

from adapters.trackers.jira import JiraTracker, build_tracker
from mailroom.config import JiraConfig

BASE = "https://jira.example.test"
SECRET = "hook-secret-1"
PRIORITIES = ["Highest", "High", "Medium", "Low", "Lowest"]
SCREEN = [
    ("summary", "Summary", {"type": "string", "system": "summary"}, None),
    ("description", "Description", {"type": "string"}, None),
    ("priority", "Priority", {"type": "priority"}, [{"name": p} for p in PRIORITIES]),
    ("labels", "Labels", {"type": "array", "items": "string"}, None),
    ("components", "Component/s", {"type": "array", "items": "component"},
     [{"name": "Printers"}, {"name": "Network"}]),
    ("customfield_10050", "Site", {"type": "option", "custom": "select"},
     [{"value": "Berlin"}, {"value": "Oslo"}]),
    ("customfield_10060", "Asset tag", {"type": "string", "custom": "textfield"}, None),
]  # fmt: skip
ROLES = {"Administrators", "Developers"}


def section(deployment: str = "cloud", **changes: Any) -> JiraConfig:
    """Return a Jira configuration section pointing at the fake."""
    return JiraConfig(**settings(deployment, **changes))


def settings(deployment: str = "cloud", **changes: Any) -> dict[str, Any]:
    """Return the configuration keys of a Jira tracker on the fake."""
    values: dict[str, Any] = {
        "kind": "jira",
        "base_url": BASE,
        "deployment": deployment,
        "project": "HELP",
        "email": "mailroom@example.test",
        "api_token": "token-cloud",
        "personal_access_token": "pat-dc",
        "webhook_secret": SECRET,
        "field_map": {"severity": "priority", "site": "Site", "parts": "components"},
    }
    return values | changes


def connect(jira: FakeJira, **changes: Any) -> JiraTracker:
    """Return a Jira tracker wired to `jira` through a MockTransport."""
    deployment = "cloud" if jira.cloud else "datacenter"
    http = httpx.Client(transport=httpx.MockTransport(jira.handle))
    return build_tracker("jira", section(deployment, **changes), http=http)


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """Return the headers Jira sends with a webhook signed by `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature": f"sha256={digest}"}


def flatten(body: Any) -> str:
    """Return the text of an ADF node (or a wiki string) as a reader sees it."""
    if isinstance(body, str):
        return re.sub(r"\\(.)", r"\1", body)
    if body.get("type") == "text":
        return str(body["text"])
    inner = "".join(flatten(child) for child in body.get("content", []))
    return "\n" if body.get("type") == "hardBreak" else inner + "\n"


class FakeJira:
    """One Jira site with one project, HELP."""

    def __init__(self, deployment: str = "cloud") -> None:
        self.cloud = deployment == "cloud"
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        self.issues: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.failures: list[httpx.Response] = []
        self.lose_answers = 0
        self._ids = itertools.count(10001)

    def fail_next(self, count: int, status: int = 503, wait: str | None = None) -> None:
        """Answer the next `count` requests with `status` (and Retry-After)."""
        headers = {"Retry-After": wait} if wait else {}
        body = {"errorMessages": ["Service unavailable"]}
        self.failures += [httpx.Response(status, headers=headers, json=body)] * count

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Jira would."""
        self.requests.append(request)
        if self.failures:
            return self.failures.pop(0)
        if request.headers.get("Authorization") != self._credential():
            return _error(401, "You are not authenticated.")
        answer = self._route(request)
        if self.lose_answers:
            self.lose_answers -= 1
            return _error(503, "The answer was lost on the way back.")
        return answer

    def comment_as(self, key: str, text: str, email: str) -> bytes:
        """Add an agent's public comment and return the webhook Jira sends."""
        paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        adf = {"type": "doc", "version": 1, "content": [paragraph]}
        body = adf if self.cloud else text
        author = {"displayName": "Sam Agent", "emailAddress": email}
        comment = {"id": str(next(self._ids)), "author": author, "body": body}
        issue = self.issues[key]
        issue["comments"].append(comment)
        return self.webhook("comment_created", key, comment=comment)

    def webhook(self, event: str, key: str, **extra: Any) -> bytes:
        """Return the body of a webhook about an issue, as Jira posts it."""
        issue = self.issues[key]
        shown = {"id": issue["id"], "key": key, "fields": issue["fields"]}
        stamp = int(time.time() * 1000)
        payload = {"timestamp": stamp, "webhookEvent": event, "issue": shown}
        return json.dumps(payload | extra).encode()

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(self.api)
        params = request.url.params
        route = (request.method, *path.strip("/").split("/"))
        match route:
            case ("POST", "issue"):
                return self._create(json.loads(request.content))
            case ("GET", "search", "jql") if self.cloud:
                return self._search(params["jql"])
            case ("GET", "search"):
                if self.cloud:
                    return _error(410, "The requested API has been removed.")
                return self._search(params["jql"])
            case ("GET", "issue", "createmeta", project, "issuetypes", *rest):
                return self._createmeta(project, rest)
            case ("POST", "issueLink"):
                return self._link(json.loads(request.content))
            case (method, "issue", key, *rest) if key in self.issues:
                return self._issue_route(method, self.issues[key], rest, request)
            case (_, "issue", *_):
                return _error(
                    404, "Issue does not exist or you do not have permission."
                )
        return _error(404, "No such resource.")

    def _issue_route(
        self,
        method: str,
        issue: dict[str, Any],
        rest: list[str],
        request: httpx.Request,
    ) -> httpx.Response:
        match (method, *rest):
            case ("GET",):
                wanted = request.url.params.get("fields", "").split(",")
                return httpx.Response(200, json=self._issue_json(issue, wanted))
            case ("GET", "comment"):
                return self._comments(issue, request.url.params)
            case ("POST", "comment"):
                return self._comment(issue, json.loads(request.content))
            case ("POST", "attachments"):
                return self._upload(issue, request)
            case ("PUT", "properties", name):
                issue["properties"][name] = json.loads(request.content)
                return httpx.Response(201)
        return _error(404, "No such resource.")

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        fields = dict(body.get("fields", {}))
        if fields.pop("project", {}).get("key") != "HELP":
            return _error(400, errors={"project": "valid project is required"})
        kind = fields.pop("issuetype", {})
        if kind not in ({"id": "10001"}, {"name": "Task"}):
            return _error(400, errors={"issuetype": "valid issue type is required"})
        screen = {field_id: allowed for field_id, _, _, allowed in SCREEN}
        unknown = [name for name in fields if name not in screen]
        wrong = [
            name for name, value in fields.items() if not _fits(value, screen.get(name))
        ]
        if unknown or wrong or not self._is_text(fields.get("description")):
            errors = {
                name: "Field cannot be set or value is invalid."
                for name in unknown + wrong
            }
            return _error(
                400,
                errors=errors or {"description": "Operation value must be a string"},
            )

        number = len(self.issues) + 1
        key, issue_id = f"HELP-{number}", str(next(self._ids))
        properties = {p["key"]: p["value"] for p in body.get("properties", [])}
        self.issues[key] = {
            "id": issue_id, "key": key, "fields": fields, "properties": properties,
            "comments": [], "attachments": [], "links": [],
        }  # fmt: skip
        return httpx.Response(201, json={"id": issue_id, "key": key, "self": BASE})

    def _search(self, jql: str) -> httpx.Response:
        project = re.search(r'project = "([^"]+)"', jql)
        label = re.search(r'labels = "([^"]+)"', jql)
        wanted = (
            label.group(1) if label and project and project.group(1) == "HELP" else ""
        )
        found = [
            {"id": issue["id"], "key": key, "fields": {"labels": labels}}
            for key, issue in self.issues.items()
            if wanted in (labels := issue["fields"].get("labels", []))
        ]
        if self.cloud:
            return httpx.Response(200, json={"issues": found, "isLast": True})
        page = {"startAt": 0, "maxResults": 5, "total": len(found), "issues": found}
        return httpx.Response(200, json=page)

    def _createmeta(self, project: str, rest: list[str]) -> httpx.Response:
        if project != "HELP":
            return _error(404, "No project could be found with key.")
        if not rest:
            items = [{"id": "10001", "name": "Task"}, {"id": "10002", "name": "Bug"}]
            name = "issueTypes" if self.cloud else "values"
        else:
            items = [_meta(*entry) for entry in SCREEN]
            name = "fields" if self.cloud else "values"
        page = {name: items, "startAt": 0, "maxResults": 100, "total": len(items)}
        return httpx.Response(200, json=page | ({} if self.cloud else {"isLast": True}))

    def _issue_json(self, issue: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
        shown = {
            "attachment": [
                {"id": str(n), "filename": name, "size": len(data), "mimeType": media}
                for n, (name, data, media) in enumerate(issue["attachments"])
            ],
            "issuelinks": [
                {"type": {"name": kind}, side: {"key": other}}
                for kind, side, other in issue["links"]
            ],
        }
        fields = {name: (issue["fields"] | shown).get(name) for name in wanted}
        return {"id": issue["id"], "key": issue["key"], "fields": fields}

    def _comments(self, issue: dict[str, Any], params: Any) -> httpx.Response:
        start, size = int(params.get("startAt", 0)), int(params.get("maxResults", 50))
        held = issue["comments"]
        page = {"startAt": start, "maxResults": size, "total": len(held)}
        return httpx.Response(200, json=page | {"comments": held[start : start + size]})

    def _comment(self, issue: dict[str, Any], body: dict[str, Any]) -> httpx.Response:
        if not self._is_text(body.get("body")):
            return _error(400, errors={"comment": "Comment body is not valid."})
        role = (body.get("visibility") or {}).get("value")
        if role is not None and role not in ROLES:
            return _error(400, errors={"commentLevel": "You are not in the role."})
        comment = {"id": str(next(self._ids)), "author": {"displayName": "Mailroom"}}
        issue["comments"].append(comment | body)
        return httpx.Response(201, json=comment | body)

    def _upload(self, issue: dict[str, Any], request: httpx.Request) -> httpx.Response:
        if request.headers.get("X-Atlassian-Token") != "no-check":
            return _error(403, "XSRF check failed")
        head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
        form = BytesParser(policy=policy.HTTP).parsebytes(head + request.read())
        added = []
        for part in form.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                name, data = part.get_filename(), part.get_payload(decode=True)
                issue["attachments"].append((name, data, part.get_content_type()))
                added.append({"filename": name, "size": len(data)})
        return httpx.Response(200, json=added)

    def _link(self, body: dict[str, Any]) -> httpx.Response:
        inward, outward = body["inwardIssue"]["key"], body["outwardIssue"]["key"]
        if inward not in self.issues or outward not in self.issues:
            return _error(404, "Issue does not exist or you do not have permission.")
        kind = body["type"]["name"]
        if kind not in ("Relates", "Blocks", "Duplicate"):
            return _error(404, "No issue link type with that name found.")
        self.issues[outward]["links"].append((kind, "inwardIssue", inward))
        self.issues[inward]["links"].append((kind, "outwardIssue", outward))
        return httpx.Response(201)

    def _is_text(self, body: Any) -> bool:
        if self.cloud:
            return isinstance(body, dict) and body.get("type") == "doc"
        return isinstance(body, str)

    def _credential(self) -> str:
        if not self.cloud:
            return "Bearer pat-dc"
        pair = base64.b64encode(b"mailroom@example.test:token-cloud").decode()
        return f"Basic {pair}"


class JiraProbe:
    """Read the fake Jira as a person would in its web interface."""

    def __init__(self, jira: FakeJira, field_map: dict[str, str]) -> None:
        self.jira = jira
        self.ids = {name: _field_id(target) for name, target in field_map.items()}

    def summary(self, key: str) -> str:
        """Return an issue's summary."""
        return str(self.jira.issues[key]["fields"]["summary"])

    def comments(self, key: str) -> list[tuple[str, bool]]:
        """Return (text, public) per comment, oldest first."""
        held = self.jira.issues[key]["comments"]
        return [(flatten(c["body"]), "visibility" not in c) for c in held]

    def files(self, key: str) -> list[tuple[str, bytes]]:
        """Return (name, bytes) per attachment."""
        return [(name, data) for name, data, _ in self.jira.issues[key]["attachments"]]

    def links(self, key: str) -> list[str]:
        """Return the keys an issue is linked to."""
        return [other for _, _, other in self.jira.issues[key]["links"]]

    def field(self, key: str, name: str) -> str | None:
        """Return a mapped field's value as Jira shows it."""
        value = self.jira.issues[key]["fields"].get(self.ids.get(name, name))
        items = value if isinstance(value, list) else [value]
        shown = [
            i.get("name", i.get("value")) if isinstance(i, dict) else i for i in items
        ]
        return None if value is None else ", ".join(str(item) for item in shown)


def _meta(
    field_id: str, name: str, schema: dict[str, str], allowed: Any
) -> dict[str, Any]:
    """Describe one field of the create screen as createmeta does."""
    entry = {"fieldId": field_id, "key": field_id, "name": name, "schema": schema}
    return entry | ({"allowedValues": allowed} if allowed else {})


def _field_id(target: str) -> str:
    for field_id, label, _, _ in SCREEN:
        if target in (field_id, label):
            return field_id
    return target


def _fits(value: Any, allowed: list[dict[str, str]] | None) -> bool:
    """Tell whether a create value names only allowed options."""
    if allowed is None:
        return not isinstance(value, list) or all(" " not in str(v) for v in value)
    names = {option.get("name", option.get("value")) for option in allowed}
    items = value if isinstance(value, list) else [value]
    return all(
        isinstance(i, dict) and i.get("name", i.get("value")) in names for i in items
    )


def _error(
    status: int, message: str | None = None, errors: dict[str, str] | None = None
) -> httpx.Response:
    body = {"errorMessages": [message] if message else [], "errors": errors or {}}
    return httpx.Response(status, json=body)
