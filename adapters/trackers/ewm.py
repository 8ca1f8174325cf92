"""IBM Engineering Workflow Management (RTC) as a tracker, through OSLC CM.

Pages relied on: OSLC Change Management 2.0 and 3.0 (change requests,
`oslc_cm:relatedChangeRequest`), OSLC Core 2.0 (discovery, creation
factories, query capabilities, resource shapes, `OSLC-Core-Version`),
the Jazz root services and form authentication notes, and jazz.net's
"Consuming Rational Team Concert's OSLC Change Management V2 Services".

Resources are exchanged as EWM's OSLC JSON (`application/json`, prefixed
names such as `dcterms:title`); discovery documents are read as RDF/XML,
the one format the root services document comes in. Discovery is cached
per tracker (ewm_discovery); shapes and allowed values too (ewm_fields).

Assumed where the public EWM documents are thin, to check on a real server:

- tags (`dcterms:subject`) can be queried with `oslc.where`;
- a comment is added by posting `{"dcterms:description": ...}` to the work
  item's `rtc_cm:comments` collection, or, where that answers 405, to its
  `oslc:comment` child, as some releases want; existing comments are read
  from the collection's JSON, whatever its layout;
- files go up through the attachment service of the web client
  (`service/com.ibm.team.workitem.service.internal.rest.IAttachmentRestService/`,
  multipart field `attach`, `projectId` and `multiple=true`), which answers
  JSON `{"files": [{"url": ...}]}`, possibly wrapped in HTML; the file is
  then linked by a partial update (`oslc.properties`, `If-Match`) of the
  attachment link attribute. A file whose name is attached already is skipped;
  EWM shows no size to compare;
- links use `oslc_cm:relatedChangeRequest`, also by partial update;
- new change requests use the factory whose usage is default, that is the
  project area's default work item type.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

from adapters.trackers.ewm_discovery import ChangeRequestServices, discover
from adapters.trackers.ewm_fields import FittedFields, ShapeCatalog
from adapters.trackers.ewm_hooks import read_webhook
from adapters.trackers.ewm_http import JSON, TIMEOUT, EwmSession
from adapters.trackers.ewm_text import (
    ATTACHMENTS,
    COMMENTS,
    RELATED,
    comment_html,
    comment_marker,
    correlation_tag,
    creation_body,
    descriptions,
    identifier,
    item_url,
    links,
    tag_where,
    ticket_key,
    uploaded_url,
    work_item_id,
)
from adapters.trackers.http_errors import json_body
from adapters.trackers.markers import event_note
from adapters.trackers.signatures import WebhookRejectedError
from mailroom.config import EwmConfig, TrackerConfig
from mailroom.errors import ConfigurationError, PermanentError
from mailroom.models import (
    Attachment,
    CommentDraft,
    FieldProblem,
    TicketDraft,
    TicketRef,
)

__all__ = ["EwmTracker", "WebhookRejectedError", "build_tracker", "read_webhook"]

logger = logging.getLogger(__name__)

UPLOAD = "service/com.ibm.team.workitem.service.internal.rest.IAttachmentRestService/"


class EwmTracker:
    """Serve the Tracker port from one EWM project area."""

    def __init__(
        self,
        name: str,
        section: EwmConfig,
        client: httpx.Client,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        password = section.password.get_secret_value() if section.password else None
        self.name = name
        self._section = section
        self._base = section.base_url.rstrip("/")
        self._session = EwmSession(name, self._base, section.username, password, client)
        self._shapes = ShapeCatalog(self._session, clock)
        self._services: ChangeRequestServices | None = None

    def find_by_correlation(self, correlation_id: str) -> TicketRef | None:
        """Return the work item tagged for `correlation_id`, if any."""
        where = tag_where(correlation_tag(correlation_id))
        params = {"oslc.where": where, "oslc.select": "dcterms:identifier"}
        answer = self._session.send_json(
            "GET",
            self._discover().query_base,
            "looking up a correlation id",
            params=params,
        )
        results = answer.get("oslc:results") if isinstance(answer, dict) else answer
        ids = [identifier(r) for r in results] if isinstance(results, list) else []
        found = sorted(item for item in ids if item is not None)
        return self._ref(found[0]) if found else None

    def check_fields(self, draft: TicketDraft) -> list[FieldProblem]:
        """Return the mapped values of `draft` that the work item cannot take."""
        return self._fit(draft).problems

    def create_ticket(self, draft: TicketDraft) -> TicketRef:
        """Open a change request; values that do not fit are left out, listed."""
        fitted = self._fit(draft)
        problems = fitted.problems
        body = creation_body(draft, fitted, [*draft.problems, *problems])
        response = self._session.send(
            "POST",
            self._discover().creation_url,
            "creating a work item",
            content=json_body(body),
            headers={"Content-Type": JSON},
        )
        ref = self._ref(self._created_id(response))
        extra = {"tool": self.name, "ticket": ref.key, "problems": len(problems)}
        logger.info("tracker.ticket_created", extra=extra)
        return ref

    def add_comment(self, key: str, comment: CommentDraft) -> None:
        """Add a comment once per correlation id."""
        resource, _ = self._read(key)
        collection = links(resource, COMMENTS)
        url = collection[0] if collection else f"{self._read_url(key)}/{COMMENTS}"
        marker = comment_marker(comment.correlation_id)
        existing = self._session.send_json("GET", url, "reading comments")
        added = not any(marker in text for text in descriptions(existing))
        if added:
            self._post_comment(url, comment_html(comment))
        extra = {"tool": self.name, "ticket": key, "added": added}
        logger.info("tracker.comment", extra=extra)

    def attach(self, key: str, attachment: Attachment, data: bytes) -> None:
        """Upload a file and link it, unless one of its name is attached."""
        if hashlib.sha256(data).hexdigest() != attachment.sha256.lower():
            raise PermanentError(
                f"the bytes of an attachment for {key} do not match its sha256; "
                "pass the file the description was made from"
            )
        resource, etag = self._read(key)
        attached = attachment.filename in self._file_names(links(resource, ATTACHMENTS))
        if not attached:
            url = self._upload(attachment, data)
            self._link(key, resource, etag, ATTACHMENTS, url)
        extra = {"tool": self.name, "ticket": key, "added": not attached}
        logger.info("tracker.attached", extra=extra)

    def link(self, key: str, other_key: str, relation: str) -> None:
        """Relate two change requests once (OSLC links carry no reason)."""
        other = item_url(self._base, self._item(other_key))
        resource, etag = self._read(key)
        if other not in links(resource, RELATED):
            self._link(key, resource, etag, RELATED, other)

    def record_event(self, key: str, event: str, detail: dict[str, str]) -> None:
        """Record an event of the ticket's mail as an internal note, once."""
        correlation_id, text = event_note(event, detail)
        note = CommentDraft(correlation_id=correlation_id, body=text, public=False)
        self.add_comment(key, note)

    def _discover(self) -> ChangeRequestServices:
        """Find the project area's change request services, once."""
        if self._services is None:
            self._services = discover(self._session, self._section.project_area)
        return self._services

    def _fit(self, draft: TicketDraft) -> FittedFields:
        """Fit the draft's fields to the attributes of the change request."""
        shape = self._discover().shape_url if draft.fields else None
        return self._shapes.fit(draft.fields, self._section.field_map, shape)

    def _created_id(self, response: httpx.Response) -> int:
        """Return the id of a new work item, from its body or its Location."""
        try:
            item = identifier(response.json())
        except ValueError:
            item = None
        location = response.headers.get("Location")
        if item is None and location:
            item = identifier(
                self._session.send_json("GET", location, "reading a work item")
            )
        if item is None:
            raise PermanentError(
                f"EWM answered a create with no work item id for tracker "
                f"{self.name!r}; check trackers.{self.name}.base_url"
            )
        return item

    def _read(self, key: str) -> tuple[dict[str, Any], str | None]:
        """Return a work item's OSLC JSON and its ETag."""
        response = self._session.send("GET", self._read_url(key), "reading a work item")
        try:
            resource = response.json()
        except ValueError:
            resource = None
        if not isinstance(resource, dict):
            raise PermanentError(
                f"EWM answered with no work item for {key} of tracker {self.name!r}; "
                f"check trackers.{self.name}.base_url"
            )
        return resource, response.headers.get("ETag")

    def _post_comment(self, collection: str, text: str) -> None:
        """Post a comment to the collection, or to its factory where needed."""
        content = json_body({"dcterms:description": text})
        headers = {"Content-Type": JSON}
        for url in (collection, f"{collection}/oslc:comment"):
            response = self._session.send(
                "POST",
                url,
                "adding a comment",
                allow=(405,),
                content=content,
                headers=headers,
            )
            if response.status_code != 405:
                return
        raise PermanentError(
            f"EWM takes no comments at the work item's comment collection for "
            f"tracker {self.name!r}; check trackers.{self.name}.base_url"
        )

    def _file_names(self, attachments: list[str]) -> set[str]:
        """Return the names of the files attached to a work item."""
        names = set()
        for url in attachments:
            answer = self._session.send_json("GET", url, "reading an attachment")
            title = answer.get("dcterms:title") if isinstance(answer, dict) else None
            if isinstance(title, str):
                # Some releases title an attachment "<its number>: <file name>".
                names.add(title.split(": ", 1)[-1] if title[:1].isdigit() else title)
        return names

    def _upload(self, attachment: Attachment, data: bytes) -> str:
        """Upload a file with the web client's attachment service."""
        area = self._discover().project_area_id
        if area is None:
            raise PermanentError(
                f"the project area id of tracker {self.name!r} is unknown, so EWM "
                f"cannot take files; check trackers.{self.name}.project_area"
            )
        file = (attachment.filename, data, attachment.content_type)
        response = self._session.send(
            "POST",
            f"{self._base}/{UPLOAD}",
            "uploading a file",
            accept="*/*",
            params={"projectId": area, "multiple": "true"},
            files={"attach": file},
        )
        return uploaded_url(response.text, self.name)

    def _link(
        self, key: str, resource: dict[str, Any], etag: str | None, name: str, url: str
    ) -> None:
        """Add one link to a link attribute by a partial update."""
        current = [{"rdf:resource": known} for known in links(resource, name)]
        headers = {"Content-Type": JSON}
        if etag:
            headers["If-Match"] = etag
        self._session.send(
            "PUT",
            self._read_url(key),
            "linking to a work item",
            params={"oslc.properties": name},
            headers=headers,
            content=json_body({name: [*current, {"rdf:resource": url}]}),
        )

    def _read_url(self, key: str) -> str:
        return item_url(self._base, self._item(key))

    def _item(self, key: str) -> int:
        """Return the work item id of a key, or refuse a foreign key."""
        item = work_item_id(key)
        if item is None:
            raise PermanentError(
                f"{key!r} is not a work item key of tracker {self.name!r}; EWM keys "
                "look like EWM-12"
            )
        return item

    def _ref(self, item: int) -> TicketRef:
        """Return the reference of a work item."""
        url = item_url(self._base, item)
        return TicketRef(tool=self.name, key=ticket_key(item), url=url)


def build_tracker(
    name: str, section: TrackerConfig, *, http: httpx.Client | None = None
) -> EwmTracker:
    """Return the tracker of one configured EWM project area."""
    if not isinstance(section, EwmConfig):
        raise ConfigurationError(
            f"trackers.{name} is not an EWM section; set its kind to ewm or use "
            "another adapter"
        )
    client = http if http is not None else httpx.Client(timeout=TIMEOUT)
    return EwmTracker(name, section, client)
