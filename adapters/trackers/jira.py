"""Jira as a Mailroom tracker: Cloud (REST v3, ADF) or Data Center (REST v2).

Every write is idempotent the way the Tracker port asks. An issue carries
Mailroom's correlation id twice: as the label `mailroom-<id>`, which a JQL
search finds after a crash, and as the issue property `mailroom`. Comments
end with a marker line naming their correlation id, which both the retry
check here and the webhook reader look for. Files are skipped when the
issue already holds one of the same name and size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any
from urllib.parse import quote

import httpx

from adapters.trackers.jira_fields import (
    FieldCatalog,
    FittedFields,
    fit_fields,
    read_catalog,
)
from adapters.trackers.jira_format import (
    Block,
    adf_text,
    comment_blocks,
    correlation_label,
    marker_in,
    note_blocks,
    ticket_blocks,
    to_adf,
    to_wiki,
    upload_name,
)
from adapters.trackers.jira_http import (
    COMMENT,
    CREATE,
    CREATE_META,
    LINK,
    PROPERTY,
    READ,
    SEARCH,
    JiraHttp,
)
from adapters.trackers.jira_webhooks import read_webhook
from adapters.trackers.signatures import WebhookRejectedError
from mailroom.config import JiraConfig
from mailroom.errors import PermanentError, RetryableError
from mailroom.models import (
    Attachment,
    CommentDraft,
    FieldProblem,
    TicketDraft,
    TicketRef,
)
from mailroom.tickets import fit_summary

__all__ = ["JiraTracker", "WebhookRejectedError", "build_tracker", "read_webhook"]

logger = logging.getLogger(__name__)

PROPERTY_KEY = "mailroom"
LINK_TYPE = "Relates"
# A project role that exists in new Jira projects; comments restricted to it
# stay off the customer portal of a service project as well.
INTERNAL_ROLE = "Administrators"
SUMMARY_LIMIT = 255
SEARCH_SETTLE_SECONDS = 30.0
_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")


class JiraTracker:
    """Serve the Tracker port from one Jira project."""

    def __init__(
        self,
        name: str,
        section: JiraConfig,
        http: httpx.Client,
        *,
        link_type: str = LINK_TYPE,
        internal_role: str = INTERNAL_ROLE,
    ) -> None:
        self.name = name
        self._section = section
        self._jira = JiraHttp(name, section, http)
        self._api = self._jira.api
        self._link_type = link_type
        self._internal_role = internal_role
        self._catalog: FieldCatalog | None = None
        self._opened: dict[str, TicketRef] = {}

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the issue labelled with `correlation_id`, the oldest first."""
        if correlation_id in self._opened:
            return self._opened[correlation_id]
        label = correlation_label(correlation_id)
        jql = (
            f"project = {_jql_string(self._section.project)} AND "
            f"labels = {_jql_string(label)} ORDER BY created ASC"
        )
        # Jira Cloud removed GET /search; /search/jql is its successor.
        path = f"{self._api}/search/jql" if self._jira.cloud else f"{self._api}/search"
        page = self._jira.get(path, SEARCH, jql=jql, fields="labels", maxResults=5)
        for issue in page.get("issues") or []:
            if label in (issue.get("fields") or {}).get("labels", []):
                return self._ref(str(issue["key"]))
        return None

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open an issue with the mapped fields that fit; report the others."""
        fitted = self._fit(draft)
        problems = [*draft.problems, *fitted.problems]
        body = self._issue_body(draft, fitted, problems)
        try:
            answer = self._jira.post(f"{self._api}/issue", CREATE, body)
        except RetryableError as exc:
            # The issue may exist all the same; Jira's search is eventually
            # consistent, so the retry waits until the label can be found.
            wait = max(exc.retry_after or 0.0, SEARCH_SETTLE_SECONDS)
            raise RetryableError(str(exc), wait) from exc
        key = str(answer["key"])

        if not self._jira.cloud:
            path = f"{self._issue(key)}/properties/{PROPERTY_KEY}"
            self._jira.put(path, PROPERTY, {"correlation_id": draft.correlation_id})
        ref = self._opened[draft.correlation_id] = self._ref(key)
        extra = {"tool": self.name, "ticket": key, "problems": len(problems)}
        logger.info("jira.issue_created", extra=extra)
        return ref

    def check_fields(self, draft: TicketDraft) -> list[FieldProblem]:
        """Return the mapped values of `draft` that Jira would not take."""
        return self._fit(draft).problems

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment once per correlation id; internal ones role-restricted."""
        blocks = comment_blocks(comment)
        self._comment_once(key, comment.correlation_id, blocks, comment.public)

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Attach a file unless one of the same name and size is there."""
        if hashlib.sha256(data).hexdigest() != attachment.sha256.lower():
            raise PermanentError(
                f"the bytes of an attachment for {key} do not match its sha256; "
                "pass the file the description was made from"
            )
        name = upload_name(attachment.filename)
        issue = self._jira.get(self._issue(key), READ, fields="attachment")
        for held in (issue.get("fields") or {}).get("attachment") or []:
            if held.get("filename") == name and held.get("size") == len(data):
                logger.info("jira.attached", extra=self._note(key, added=False))
                return

        media = attachment.content_type
        media = media if _MEDIA_TYPE.fullmatch(media) else "application/octet-stream"
        self._jira.upload(f"{self._issue(key)}/attachments", name, data, media)
        logger.info("jira.attached", extra=self._note(key, added=True))

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Link two issues with the configured link type, once."""
        if self._is_linked(key, other_key):
            return
        body = {
            "type": {"name": self._link_type},
            "inwardIssue": {"key": other_key},
            "outwardIssue": {"key": key},
        }
        self._jira.post(f"{self._api}/issueLink", LINK, body)
        logger.info("jira.linked", extra={"tool": self.name, "relation": relation})

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Record an event as an internal comment, once per event and detail."""
        facts = ", ".join(f"{name}: {value}" for name, value in sorted(detail.items()))
        text = f"Mailroom recorded {event}" + (f" ({facts})" if facts else "") + "."
        basis = json.dumps([event, detail], sort_keys=True).encode()
        correlation_id = "event-" + hashlib.sha256(basis).hexdigest()[:24]
        self._comment_once(
            key, correlation_id, note_blocks(text, correlation_id), False
        )

    def ticket_url(self, key: str) -> str:
        """Return the address of an issue in Jira's web interface."""
        base = self._section.base_url.rstrip("/")
        return f"{base}/browse/{quote(key, safe='')}"

    def _issue_body(
        self, draft: TicketDraft, fitted: FittedFields, problems: list[FieldProblem]
    ) -> dict[str, Any]:
        """Return the create request: project, type, text, fields, marks."""
        draft = fit_summary(draft, SUMMARY_LIMIT)
        values = dict(fitted.values)
        labels = [*values.pop("labels", []), correlation_label(draft.correlation_id)]
        catalog = self._catalog
        kind = {"id": catalog.issue_type_id} if catalog else None
        summary = " ".join(draft.summary.split())
        description = ticket_blocks(draft, fitted.carried, problems)
        fields = {
            "project": {"key": self._section.project},
            "issuetype": kind or {"name": self._section.issue_type},
            "summary": summary or "(no subject)",
            "description": self._render(description),
            **values,
            "labels": list(dict.fromkeys(labels)),
        }
        body: dict[str, Any] = {"fields": fields}
        if self._jira.cloud:
            value = {"correlation_id": draft.correlation_id}
            body["properties"] = [{"key": PROPERTY_KEY, "value": value}]
        return body

    def _comment_once(
        self, key: str, correlation_id: str, blocks: list[Block], public: bool
    ) -> None:
        path = f"{self._issue(key)}/comment"
        for held in self._jira.pages(path, "comments", READ):
            body = held.get("body")
            text = adf_text(body) if isinstance(body, dict) else str(body or "")
            if marker_in(text) == correlation_id:
                logger.info("jira.comment", extra=self._note(key, added=False))
                return

        request: dict[str, Any] = {"body": self._render(blocks)}
        if not public:
            request["visibility"] = {"type": "role", "value": self._internal_role}
        self._jira.post(path, COMMENT, request)
        logger.info("jira.comment", extra=self._note(key, added=True))

    def _is_linked(self, key: str, other_key: str) -> bool:
        issue = self._jira.get(self._issue(key), READ, fields="issuelinks")
        for held in (issue.get("fields") or {}).get("issuelinks") or []:
            same_type = (held.get("type") or {}).get("name") == self._link_type
            sides = (held.get(side) or {} for side in ("inwardIssue", "outwardIssue"))
            if same_type and other_key in {side.get("key") for side in sides}:
                return True
        return False

    def _fit(self, draft: TicketDraft) -> FittedFields:
        field_map = self._section.field_map
        mapped = any(name in field_map for name in draft.fields)
        catalog = self._load_catalog() if mapped else None
        return fit_fields(draft.fields, field_map, catalog)

    def _load_catalog(self) -> FieldCatalog:
        """Read the create screen once per tracker instance."""
        if self._catalog is not None:
            return self._catalog
        cloud = self._jira.cloud
        base = f"{self._api}/issue/createmeta/{quote(self._section.project, safe='')}"
        types = self._jira.pages(
            f"{base}/issuetypes", "issueTypes" if cloud else "values", CREATE_META
        )
        wanted = self._section.issue_type.casefold()
        names: list[str] = []
        for issue_type in types:
            names.append(name := str(issue_type.get("name")))
            if name.casefold() == wanted:
                type_id = str(issue_type["id"])
                path = f"{base}/issuetypes/{quote(type_id, safe='')}"
                entries = self._jira.pages(
                    path, "fields" if cloud else "values", CREATE_META
                )
                self._catalog = read_catalog(type_id, list(entries))
                return self._catalog
        raise PermanentError(
            f"Jira project {self._section.project} has no issue type "
            f"'{self._section.issue_type}': set trackers.{self.name}.issue_type to "
            f"one of {', '.join(names) or 'its issue types'}"
        )

    def _render(self, blocks: list[Block]) -> Any:
        return to_adf(blocks) if self._jira.cloud else to_wiki(blocks)

    def _issue(self, key: str) -> str:
        return f"{self._api}/issue/{quote(key, safe='')}"

    def _ref(self, key: str) -> TicketRef:
        return TicketRef(tool=self.name, key=key, url=self.ticket_url(key))

    def _note(self, key: str, *, added: bool) -> dict[str, Any]:
        return {"tool": self.name, "ticket": key, "added": added}


def build_tracker(
    name: str, section: JiraConfig, *, http: httpx.Client | None = None
) -> JiraTracker:
    """Return the Jira tracker of one configured tool."""
    client = http or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
    return JiraTracker(name, section, client)


def _jql_string(value: str) -> str:
    """Quote a value for JQL, escaping quotes and backslashes."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
