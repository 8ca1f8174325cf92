"""Azure DevOps Boards as a tracker, through the Work Item Tracking REST API.

Pages relied on (learn.microsoft.com/rest/api/azure/devops/wit, 7.1): Work
Items - Create, Update and Get Work Item (JSON Patch documents sent as
`application/json-patch+json`), Wiql - Query By Wiql, Attachments - Create,
Comments - Add and Get Comments (preview 7.1-preview.4), Work Item Types
Field - List; and the service hook events reference (azure_devops_hooks).

- A ticket's key is `AB#<id>`, as Azure Boards mentions write it and as
  Mailroom's threading reads it from subjects; `#<id>` and `<id>` are taken
  back too. Its URL is `<organization>/<project>/_workitems/edit/<id>`.
- A work item is made of the configured type with System.Title,
  System.Description (the mail text, HTML-escaped, and the fields that
  match no field of the type), the mapped fields that fit
  (azure_devops_fields) and System.Tags with `mailroom-<correlation id>`,
  which a WIQL query finds again after a crash.
- Comments are idempotent by a hidden marker; internal notes open with
  "Internal note:" since Azure DevOps has no internal comments.
- A file is uploaded, then linked by an `AttachedFile` relation, unless a
  file of the same name and size is attached already.
- Related tickets get a `System.LinkTypes.Related` relation whose comment
  says why; events (acknowledgement sent, mail opened, ...) become notes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from adapters.trackers.azure_devops_fields import (
    FieldRule,
    FittedFields,
    fit_fields,
    parse_field_rules,
)
from adapters.trackers.azure_devops_hooks import read_webhook
from adapters.trackers.azure_devops_http import (
    COMMENTS_API_VERSION,
    JSON,
    JSON_PATCH,
    OCTET_STREAM,
    TIMEOUT,
    AzureDevOpsHttp,
    TokenSource,
    entra_authorization,
    pat_authorization,
    require,
)
from adapters.trackers.azure_devops_text import (
    ATTACHED_FILE,
    RELATED,
    comment_html,
    comment_marker,
    correlation_tag,
    creation_patch,
    has_file,
    is_related,
    tag_query,
    ticket_key,
    work_item_id,
    work_item_url,
)
from adapters.trackers.http_errors import json_body
from adapters.trackers.markers import event_note
from adapters.trackers.payloads import mapping
from adapters.trackers.signatures import WebhookRejectedError
from mailroom.config import AzureDevOpsConfig, TrackerConfig
from mailroom.errors import ConfigurationError, PermanentError
from mailroom.models import (
    Attachment,
    CommentDraft,
    FieldProblem,
    TicketDraft,
    TicketRef,
)

__all__ = [
    "AzureDevOpsTracker",
    "WebhookRejectedError",
    "build_tracker",
    "read_webhook",
]

logger = logging.getLogger(__name__)

# Allowed values change when a process is edited; read them again after this.
RULES_TTL_SECONDS = 900.0
COMMENT_PAGE = 200
MAX_COMMENT_PAGES = 50


class AzureDevOpsTracker:
    """Serve the Tracker port from one Azure DevOps project."""

    def __init__(
        self,
        name: str,
        section: AzureDevOpsConfig,
        client: httpx.Client,
        *,
        clock: Callable[[], float] = time.monotonic,
        credential: TokenSource | None = None,
    ) -> None:
        authorization = choose_authorization(name, section, credential)
        self.name = name
        self._section = section
        self._org = section.organization_url.rstrip("/")
        self._wit = f"{self._org}/{quote(section.project, safe='')}/_apis/wit"
        self._http = AzureDevOpsHttp(name, authorization, client)
        self._clock = clock
        self._rules: dict[str, FieldRule] | None = None
        self._rules_read_at = 0.0

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the work item tagged for `correlation_id`, if any."""
        query = json_body({"query": tag_query(correlation_tag(correlation_id))})
        answer = self._http.send_json(
            "POST",
            f"{self._wit}/wiql",
            "looking up a correlation id",
            body=query,
            content_type=JSON,
        )
        items = answer.get("workItems")
        ids = sorted(
            int(item["id"])
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get("id"), int)
        )
        return self._ref(ids[0]) if ids else None

    def check_fields(self, draft: TicketDraft) -> list[FieldProblem]:
        """Return the mapped values of `draft` that the work item cannot take."""
        return self._fit(draft).problems

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a work item; values that do not fit are left out and listed."""
        fitted = self._fit(draft)
        problems = fitted.problems
        patch = creation_patch(draft, fitted, [*draft.problems, *problems])
        kind = quote(self._section.work_item_type, safe="")

        answer = self._http.send_json(
            "POST",
            f"{self._wit}/workitems/${kind}",
            "creating a work item",
            body=json_body(patch),
            content_type=JSON_PATCH,
        )
        item = require(answer, "id", int, self.name, "creating a work item")
        ref = self._ref(item)
        extra = {"tool": self.name, "ticket": ref.key, "problems": len(problems)}
        logger.info("tracker.ticket_created", extra=extra)
        return ref

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment once per correlation id."""
        item = self._item(key)
        marker = comment_marker(comment.correlation_id)
        added = not any(marker in text for text in self._comment_texts(item))
        if added:
            body = json_body({"text": comment_html(comment)})
            self._http.send(
                "POST",
                f"{self._wit}/workItems/{item}/comments",
                "adding a comment",
                body=body,
                content_type=JSON,
                api_version=COMMENTS_API_VERSION,
            )
        extra = {"tool": self.name, "ticket": key, "added": added}
        logger.info("tracker.comment", extra=extra)

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Upload a file and link it, unless one of its name and size is there."""
        item = self._item(key)
        if hashlib.sha256(data).hexdigest() != attachment.sha256.lower():
            raise PermanentError(
                f"the bytes of an attachment for {key} do not match its sha256; "
                "pass the file the description was made from"
            )
        attached = has_file(self._relations(item), attachment.filename, len(data))
        if not attached:
            self._upload_and_link(item, attachment.filename, data)
        extra = {"tool": self.name, "ticket": key, "added": not attached}
        logger.info("tracker.attached", extra=extra)

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Relate two work items once; the relation's comment says why."""
        item, other = self._item(key), self._item(other_key)
        if not is_related(self._relations(item), other):
            url = f"{self._org}/_apis/wit/workItems/{other}"
            value = {"rel": RELATED, "url": url, "attributes": {"comment": relation}}
            self._add_relation(item, value, "linking a related work item")

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Record an event of the ticket's mail as an internal note, once."""
        correlation_id, text = event_note(event, detail)
        note = CommentDraft(correlation_id=correlation_id, body=text, public=False)
        self.add_comment(key, note)

    def _fit(self, draft: TicketDraft) -> FittedFields:
        """Fit the draft's fields to the work item type's fields."""
        if not draft.fields:
            return FittedFields()
        rules = self._field_rules()
        kind = self._section.work_item_type
        return fit_fields(draft.fields, self._section.field_map, rules, kind)

    def _field_rules(self) -> dict[str, FieldRule]:
        """Return the type's fields and allowed values, read at most every TTL."""
        stale = self._clock() - self._rules_read_at > RULES_TTL_SECONDS
        if self._rules is None or stale:
            kind = quote(self._section.work_item_type, safe="")
            answer = self._http.send_json(
                "GET",
                f"{self._wit}/workitemtypes/{kind}/fields",
                "reading the fields of the work item type",
                params={"$expand": "allowedValues"},
            )
            self._rules = parse_field_rules(answer)
            self._rules_read_at = self._clock()
        return self._rules

    def _comment_texts(self, item: int) -> list[str]:
        """Return the text of every comment of a work item, page by page."""
        texts: list[str] = []
        params = {"$top": str(COMMENT_PAGE)}
        for _ in range(MAX_COMMENT_PAGES):
            answer = self._http.send_json(
                "GET",
                f"{self._wit}/workItems/{item}/comments",
                "reading comments",
                params=params,
                api_version=COMMENTS_API_VERSION,
            )
            comments = answer.get("comments")
            for comment in comments if isinstance(comments, list) else []:
                texts.append(str(mapping(comment).get("text") or ""))
            token = answer.get("continuationToken")
            if not isinstance(token, str) or not token:
                break
            params = {"$top": str(COMMENT_PAGE), "continuationToken": token}
        return texts

    def _relations(self, item: int) -> list[dict[str, Any]]:
        """Return the relations of a work item."""
        answer = self._http.send_json(
            "GET",
            f"{self._wit}/workitems/{item}",
            "reading a work item",
            params={"$expand": "relations"},
        )
        relations = answer.get("relations")
        return [mapping(r) for r in relations] if isinstance(relations, list) else []

    def _upload_and_link(self, item: int, filename: str, data: bytes) -> None:
        """Upload a file to the attachment store, then link it to the item."""
        answer = self._http.send_json(
            "POST",
            f"{self._wit}/attachments",
            "uploading a file",
            params={"fileName": filename},
            body=data,
            content_type=OCTET_STREAM,
        )
        url = require(answer, "url", str, self.name, "uploading a file")
        value = {
            "rel": ATTACHED_FILE,
            "url": url,
            "attributes": {"comment": "From mail"},
        }
        self._add_relation(item, value, "linking a file")

    def _add_relation(self, item: int, value: dict[str, Any], what: str) -> None:
        """Add one relation to a work item."""
        patch = [{"op": "add", "path": "/relations/-", "value": value}]
        self._http.send(
            "PATCH",
            f"{self._wit}/workitems/{item}",
            what,
            body=json_body(patch),
            content_type=JSON_PATCH,
        )

    def _item(self, key: str) -> int:
        """Return the work item id of a key, or refuse a foreign key."""
        item = work_item_id(key)
        if item is None:
            raise PermanentError(
                f"{key!r} is not a work item key of tracker {self.name!r}; Azure "
                "DevOps keys look like AB#12"
            )
        return item

    def _ref(self, item: int) -> TicketRef:
        """Return the reference of a work item."""
        section = self._section
        url = work_item_url(section.organization_url, section.project, item)
        return TicketRef(tool=self.name, key=ticket_key(item), url=url)


def choose_authorization(
    name: str, section: AzureDevOpsConfig, credential: TokenSource | None
) -> Callable[[], str]:
    """Return how requests sign in: a PAT, or Entra tokens."""
    if section.auth == "entra":
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential(
                managed_identity_client_id=section.managed_identity_client_id
            )
        return entra_authorization(credential)
    if section.personal_access_token is None:
        raise ConfigurationError(
            f"trackers.{name}.personal_access_token is missing; create a "
            "token with the Work Items (read and write) scope and set it, or "
            f"set trackers.{name}.auth to entra"
        )
    return pat_authorization(section.personal_access_token.get_secret_value())


def build_tracker(
    name: str, section: TrackerConfig, *, http: httpx.Client | None = None
) -> AzureDevOpsTracker:
    """Return the tracker of one configured Azure DevOps project."""
    if not isinstance(section, AzureDevOpsConfig):
        raise ConfigurationError(
            f"trackers.{name} is not an Azure DevOps section; set its kind to "
            "azure_devops or use another adapter"
        )
    client = http if http is not None else httpx.Client(timeout=TIMEOUT)
    return AzureDevOpsTracker(name, section, client)
