"""A fake Azure DevOps project behind `httpx.MockTransport`.

It answers the Work Item Tracking calls the adapter makes, in the shapes of
the REST reference (7.1; comments 7.1-preview.4), checks the token, the
api-version, the media types and the allowed values of fields as Azure
DevOps would, and builds service hook payloads in the shapes of the events
reference. It can answer 503 for a number of requests, or lose the answer
to a create after making the work item. As a contract Probe it reads its
state the way a person would in the web UI.
"""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from adapters.trackers.azure_devops import AzureDevOpsTracker, build_tracker
from mailroom.config import AzureDevOpsConfig

ORG = "https://dev.azure.com/example-org"
PROJECT = "Help Desk"
TOKEN = "pat-for-tests"
ENTRA = "entra-access-token-for-tests"
FIELDS: dict[str, tuple[str, list[str]]] = {
    "System.Title": ("Title", []),
    "System.Description": ("Description", []),
    "System.Tags": ("Tags", []),
    "System.State": ("State", ["To Do", "Doing", "Done"]),
    "Microsoft.VSTS.Common.Priority": ("Priority", ["1", "2", "3", "4"]),
    "Microsoft.VSTS.Common.Severity": (
        "Severity",
        ["1 - Critical", "2 - High", "3 - Medium", "4 - Low"],
    ),
    "Custom.RequesterEmail": ("Requester Email", []),
}
FIELD_MAP = {
    "severity": "Microsoft.VSTS.Common.Severity",
    "priority": "Microsoft.VSTS.Common.Priority",
    "requester": "Custom.RequesterEmail",
}
_TAG = re.compile(r"<[^>]+>")
_WIQL_TAG = re.compile(r"\[System\.Tags\] CONTAINS '((?:[^']|'')*)'")


@dataclass
class WorkItem:
    """A work item as the fake keeps it."""

    id: int
    fields: dict[str, Any]
    relations: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)


class FakeAzureDevOps:
    """One project of one organization, with a work item type `Issue`."""

    def __init__(self, field_map: dict[str, str] | None = None) -> None:
        self.field_map = FIELD_MAP if field_map is None else field_map
        self.items: dict[int, WorkItem] = {}
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.requests: list[httpx.Request] = []
        self.unavailable = 0
        self.lose_next_create = False
        self.answer_all: httpx.Response | None = None
        self.silent = False
        self.comment_page = 200

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as Azure DevOps would."""
        self.requests.append(request)
        if self.silent:
            raise httpx.ConnectTimeout("no answer", request=request)
        if self.answer_all is not None:
            return self.answer_all
        if self.unavailable > 0:
            self.unavailable -= 1
            return httpx.Response(503, headers={"Retry-After": "2"})
        basic = f"Basic {base64.b64encode(f':{TOKEN}'.encode()).decode()}"
        if request.headers.get("Authorization") not in (basic, f"Bearer {ENTRA}"):
            return httpx.Response(401)
        return self._route(request)

    def _route(self, request: httpx.Request) -> httpx.Response:
        prefix = f"/example-org/{PROJECT}/_apis/wit/".lower()
        path = request.url.path.lower()
        if not path.startswith(prefix):
            return _error(404, "TF200016: The project does not exist.")
        rest, method = path[len(prefix) :], request.method
        version = request.url.params.get("api-version")
        wanted = "7.1-preview.4" if rest.endswith("/comments") else "7.1"
        if version != wanted:
            return _error(400, f"The requested REST API version {version} is wrong.")

        if method == "POST" and rest == "workitems/$issue":
            return self._create(request)
        if method == "POST" and rest == "wiql":
            return self._wiql(request)
        if method == "POST" and rest == "attachments":
            return self._upload(request)
        if method == "GET" and rest == "workitemtypes/issue/fields":
            return self._fields(request)
        found = re.fullmatch(r"workitems/(\d+)(/comments)?", rest)
        item = self.items.get(int(found.group(1))) if found else None
        if found is None or item is None:
            return _error(404, "TF401232: Work item does not exist.")
        if found.group(2):
            return self._comments(request, item)
        if method == "GET":
            return httpx.Response(200, json=self._resource(item, request))
        if method == "PATCH":
            return self._update(request, item)
        return _error(405, "Method not allowed.")

    def _create(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Content-Type") != "application/json-patch+json":
            return _error(415, "Expected a JSON Patch document.")
        item = WorkItem(len(self.items) + 1, {"System.State": "To Do"})
        refused = self._apply(item, json.loads(request.content))
        if refused is not None:
            return refused
        item.fields.update({"System.Id": item.id, "System.WorkItemType": "Issue"})
        self.items[item.id] = item
        if self.lose_next_create:
            self.lose_next_create = False
            raise httpx.ReadTimeout("answer lost", request=request)
        return httpx.Response(200, json=self._resource(item, request))

    def _update(self, request: httpx.Request, item: WorkItem) -> httpx.Response:
        if request.headers.get("Content-Type") != "application/json-patch+json":
            return _error(415, "Expected a JSON Patch document.")
        refused = self._apply(item, json.loads(request.content))
        return refused or httpx.Response(200, json=self._resource(item, request))

    def _apply(self, item: WorkItem, patch: list[dict[str, Any]]) -> Any:
        for op in patch:
            if op["op"] != "add":
                return _error(400, "Only add is faked.")
            if op["path"] == "/relations/-":
                refused = self._relate(item, dict(op["value"]))
            else:
                refused = _set_field(item, op["path"].removeprefix("/fields/"), op)
            if refused is not None:
                return refused
        return None

    def _relate(self, item: WorkItem, relation: dict[str, Any]) -> Any:
        if any(r["url"] == relation["url"] for r in item.relations):
            return _error(400, "TF201035: Relation already exists.")
        if relation["rel"] == "AttachedFile":
            upload = relation["url"].split("/attachments/")[-1].split("?")[0]
            name, data = self.uploads[upload]
            extra = {"name": name, "resourceSize": len(data), "id": len(self.uploads)}
            relation["attributes"] = {**relation.get("attributes", {}), **extra}
        elif int(relation["url"].rsplit("/", 1)[-1]) not in self.items:
            return _error(400, "TF201036: The linked work item does not exist.")
        item.relations.append(relation)
        return None

    def _wiql(self, request: httpx.Request) -> httpx.Response:
        found = _WIQL_TAG.search(json.loads(request.content)["query"])
        tag = found.group(1).replace("''", "'") if found else ""
        hits = [
            {"id": item.id, "url": f"{ORG}/_apis/wit/workItems/{item.id}"}
            for item in self.items.values()
            if tag in _tags(item)
        ]
        return httpx.Response(200, json={"queryType": "flat", "workItems": hits})

    def _upload(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Content-Type") != "application/octet-stream":
            return _error(415, "Expected a stream.")
        name = request.url.params["fileName"]
        upload = f"00000000-0000-0000-0000-{len(self.uploads) + 1:012d}"
        self.uploads[upload] = (name, request.content)
        url = f"{ORG}/_apis/wit/attachments/{upload}?fileName={quote(name)}"
        return httpx.Response(201, json={"id": upload, "url": url})

    def _fields(self, request: httpx.Request) -> httpx.Response:
        expand = request.url.params.get("$expand") == "allowedValues"
        value = [
            {"referenceName": reference, "name": name, "alwaysRequired": False}
            | ({"allowedValues": allowed} if expand else {})
            for reference, (name, allowed) in FIELDS.items()
        ]
        return httpx.Response(200, json={"count": len(value), "value": value})

    def _comments(self, request: httpx.Request, item: WorkItem) -> httpx.Response:
        if request.method == "POST":
            self.add_tool_comment(item.id, json.loads(request.content)["text"])
            return httpx.Response(200, json=item.comments[-1])
        start = int(request.url.params.get("continuationToken", "0"))
        top = min(int(request.url.params.get("$top", "200")), self.comment_page)
        page = item.comments[start : start + top]
        answer: dict[str, Any] = {"totalCount": len(item.comments), "count": len(page)}
        if start + top < len(item.comments):
            answer["continuationToken"] = str(start + top)
        return httpx.Response(200, json=answer | {"comments": page})

    def _resource(self, item: WorkItem, request: httpx.Request) -> dict[str, Any]:
        answer = {"id": item.id, "rev": 1, "fields": dict(item.fields)}
        if request.url.params.get("$expand") == "relations" and item.relations:
            answer["relations"] = [dict(r) for r in item.relations]
        return answer | {"url": f"{ORG}/_apis/wit/workItems/{item.id}"}

    def add_tool_comment(self, item_id: int, text: str) -> None:
        """Add a comment as a person in the web UI would."""
        comments = self.items[item_id].comments
        comment = {"workItemId": item_id, "id": len(comments) + 1, "text": text}
        comments.append(comment | {"version": 1, "createdBy": AGENT})

    def summary(self, key: str) -> str:
        """Return a ticket's title."""
        return str(self._item(key).fields["System.Title"])

    def comments(self, key: str) -> list[tuple[str, bool]]:
        """Return (text, public) per comment; internal notes say so first."""
        texts = [_plain(c["text"]) for c in self._item(key).comments]
        return [(text, not text.startswith("Internal note:")) for text in texts]

    def files(self, key: str) -> list[tuple[str, bytes]]:
        """Return (name, bytes) per attached file."""
        relations = self._item(key).relations
        uploads = [r["url"] for r in relations if r["rel"] == "AttachedFile"]
        return [
            self.uploads[u.split("/attachments/")[1].split("?")[0]] for u in uploads
        ]

    def links(self, key: str) -> list[str]:
        """Return the keys of related work items."""
        relations = self._item(key).relations
        related = [r for r in relations if r["rel"] == "System.LinkTypes.Related"]
        return [f"AB#{r['url'].rsplit('/', 1)[1]}" for r in related]

    def field(self, key: str, name: str) -> str | None:
        """Return the value of the field that a Mailroom field maps to."""
        value = self._item(key).fields.get(self.field_map.get(name, name))
        return None if value is None else str(value)

    def _item(self, key: str) -> WorkItem:
        return self.items[int(key.removeprefix("AB#"))]


AGENT = {"displayName": "Ben Okafor", "uniqueName": "ben.okafor@example.com"}


def section(**changes: Any) -> AzureDevOpsConfig:
    """Return the tracker section of the fake project, with `changes`."""
    values = {
        "kind": "azure_devops",
        "organization_url": ORG,
        "project": PROJECT,
        "personal_access_token": TOKEN,
        "field_map": FIELD_MAP,
        "hook_username": "mailroom",
        "hook_password": "hook-secret",
    }
    return AzureDevOpsConfig.model_validate(values | changes)


def connect(fake: FakeAzureDevOps, **changes: Any) -> AzureDevOpsTracker:
    """Return the adapter, as tracker `boards`, talking to `fake`."""
    client = httpx.Client(transport=httpx.MockTransport(fake.handle))
    tracker = build_tracker("boards", section(**changes), http=client)
    assert isinstance(tracker, AzureDevOpsTracker)
    return tracker


def service_hook(event_type: str, resource: dict[str, Any]) -> bytes:
    """Return a Web Hooks call body as Azure DevOps sends it."""
    payload = {
        "subscriptionId": "00ca946b-2fe9-4f2a-ae2f-40d5c48001bc",
        "notificationId": 3,
        "id": f"event-{event_type}-{resource.get('id')}",
        "eventType": event_type,
        "publisherId": "tfs",
        "message": {"text": "Issue changed"},
        "resource": resource,
        "resourceVersion": "1.0",
        "resourceContainers": {"project": {"id": "a1b2"}},
        "createdDate": "2024-05-02T09:10:11Z",
    }
    return json.dumps(payload).encode()


def hook_headers(
    user: str = "mailroom", password: str = "hook-secret"
) -> dict[str, str]:
    """Return the headers of a service hook call with basic credentials."""
    secret = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {secret}"}


def _set_field(item: WorkItem, reference: str, op: dict[str, Any]) -> Any:
    known = {name.lower(): name for name in FIELDS}
    if reference.lower() not in known:
        return _error(400, f"TF51535: Cannot find field {reference}.")
    allowed = FIELDS[known[reference.lower()]][1]
    if allowed and op["value"] not in allowed:
        return _error(400, f"TF401320: Rule Error for field {reference}.")
    item.fields[known[reference.lower()]] = op["value"]
    return None


def _tags(item: WorkItem) -> list[str]:
    return [tag.strip() for tag in str(item.fields.get("System.Tags", "")).split(";")]


def _plain(text: str) -> str:
    return html.unescape(_TAG.sub(" ", text)).strip()


def _error(status: int, message: str) -> httpx.Response:
    body = {"message": message, "typeKey": "FakeException", "errorCode": 0}
    return httpx.Response(status, json=body)
