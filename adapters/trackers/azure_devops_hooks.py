"""Azure DevOps service hooks in: comments, new work items, state changes.

A Web Hooks subscription posts each event with basic authentication, using
the user name and password typed into the subscription; they must equal
`hook_username` and `hook_password` of the tracker, and are compared in
constant time. The subscription should send resource details "All". Event
types read, in the shapes of the service hook events reference:

- `workitem.commented`: the comment is `resource.fields["System.History"]`
  (HTML), its author `System.ChangedBy`. A comment carrying Mailroom's
  marker is Mailroom's own (origin "mailroom"); one that opens with
  "Internal note:" is not public.
- `workitem.created`: a work item made in the tool. Tagged `mailroom-...`, it
  is Mailroom's own; its requester is read from the field that `field_map`
  names for `requester`, when there is one.
- `workitem.updated`: only a change of `System.State` counts; the work item
  is `resource.workItemId`, else `resource.revision.id`. The change is
  dated by its `System.ChangedDate`, else by the event's `createdDate`.

Other event types are accepted and yield nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from email.utils import parseaddr
from typing import Any

from adapters.trackers.azure_devops_text import (
    ticket_key,
    work_item_url,
)
from adapters.trackers.markers import INTERNAL_NOTE, MARKER_PREFIX, TAG_PREFIX
from adapters.trackers.payloads import load_object, mapping, moment, text_or_none
from adapters.trackers.signatures import (
    WebhookRejectedError,
    basic_credentials,
    header,
    same,
)
from mailroom.bodies import html_to_text
from mailroom.config import AzureDevOpsConfig
from mailroom.errors import MalformedInputError
from mailroom.models import Address
from mailroom.tool_events import ToolEvent

_MARKER_TEXT = re.compile(re.escape(MARKER_PREFIX) + r"\S*")

Reader = Callable[[str, AzureDevOpsConfig, dict[str, Any]], list[ToolEvent]]


def read_webhook(
    section: AzureDevOpsConfig, name: str, headers: Mapping[str, str], body: bytes
) -> list[ToolEvent]:
    """Authenticate a service hook call and return the events it carries."""
    check_credentials(section, name, headers)
    payload = _load(body, name)
    reader = _READERS.get(str(payload.get("eventType", "")))
    return [] if reader is None else reader(name, section, payload)


def check_credentials(
    section: AzureDevOpsConfig, name: str, headers: Mapping[str, str]
) -> None:
    """Raise WebhookRejectedError unless the call carries the hook's login."""
    if not section.hook_username or section.hook_password is None:
        raise WebhookRejectedError(
            f"tracker {name!r} takes no service hooks: set hook_username and "
            f"hook_password in trackers.{name} and in the subscription"
        )
    user, password = basic_credentials(header(headers, "authorization"))
    expected = section.hook_password.get_secret_value()
    # Both compared, always: stopping at the user name would time the answer.
    if not (same(user, section.hook_username) & same(password, expected)):
        raise WebhookRejectedError(
            f"a service hook call for tracker {name!r} did not carry the "
            f"configured credentials; compare the subscription's user name and "
            f"password with trackers.{name}.hook_username and hook_password"
        )


def _commented(
    name: str, section: AzureDevOpsConfig, payload: dict[str, Any]
) -> list[ToolEvent]:
    """Read a `workitem.commented` event."""
    resource = mapping(payload.get("resource"))
    fields = mapping(resource.get("fields"))
    history = str(fields.get("System.History") or "")
    text = _MARKER_TEXT.sub("", html_to_text(history)).strip()
    item = _item_id(resource.get("id"), name)
    event = ToolEvent(
        tool=name,
        kind="comment",
        ticket_key=ticket_key(item),
        ticket_url=work_item_url(section.organization_url, section.project, item),
        event_id=_event_id(payload, name),
        author=_address(fields.get("System.ChangedBy")),
        body=text,
        public=not text.startswith(INTERNAL_NOTE),
        summary=text_or_none(fields.get("System.Title")),
        origin="mailroom" if MARKER_PREFIX in history else "tool",
    )
    return [event]


def _created(
    name: str, section: AzureDevOpsConfig, payload: dict[str, Any]
) -> list[ToolEvent]:
    """Read a `workitem.created` event."""
    resource = mapping(payload.get("resource"))
    fields = mapping(resource.get("fields"))
    tags = [tag.strip() for tag in str(fields.get("System.Tags") or "").split(";")]
    requester_field = section.field_map.get("requester")
    item = _item_id(resource.get("id"), name)
    event = ToolEvent(
        tool=name,
        kind="created",
        ticket_key=ticket_key(item),
        ticket_url=work_item_url(section.organization_url, section.project, item),
        event_id=_event_id(payload, name),
        author=_address(fields.get("System.CreatedBy")),
        body=html_to_text(str(fields.get("System.Description") or "")),
        requester=_address(fields.get(requester_field)) if requester_field else None,
        summary=text_or_none(fields.get("System.Title")),
        status=text_or_none(fields.get("System.State")),
        origin="mailroom" if any(t.startswith(TAG_PREFIX) for t in tags) else "tool",
    )
    return [event]


def _updated(
    name: str, section: AzureDevOpsConfig, payload: dict[str, Any]
) -> list[ToolEvent]:
    """Read a `workitem.updated` event; only a state change is an event."""
    resource = mapping(payload.get("resource"))
    state = mapping(mapping(resource.get("fields")).get("System.State"))
    new_state = text_or_none(state.get("newValue"))
    if new_state is None or new_state == text_or_none(state.get("oldValue")):
        return []

    revision = mapping(resource.get("revision"))
    item = _item_id(resource.get("workItemId") or revision.get("id"), name)
    revised = mapping(revision.get("fields"))
    changed = mapping(mapping(resource.get("fields")).get("System.ChangedDate"))
    changed_at = moment(revised.get("System.ChangedDate")) or moment(
        changed.get("newValue")
    )
    event = ToolEvent(
        tool=name,
        kind="status",
        ticket_key=ticket_key(item),
        ticket_url=work_item_url(section.organization_url, section.project, item),
        event_id=_event_id(payload, name),
        author=_address(resource.get("revisedBy") or revised.get("System.ChangedBy")),
        summary=text_or_none(revised.get("System.Title")),
        status=new_state,
        changed_at=changed_at or moment(payload.get("createdDate")),
    )
    return [event]


_READERS: dict[str, Reader] = {
    "workitem.commented": _commented,
    "workitem.created": _created,
    "workitem.updated": _updated,
}


def _load(body: bytes, name: str) -> dict[str, Any]:
    """Decode the JSON of a call that passed authentication."""
    where = f"a service hook call for tracker {name!r}"
    return load_object(
        body,
        f"{where} is not JSON; check that the subscription is a Web Hooks one",
        f"{where} is not a JSON object",
    )


def _item_id(value: Any, name: str) -> int:
    """Return a work item id from an event, or say what is missing."""
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    raise MalformedInputError(
        f"a service hook event for tracker {name!r} names no work item; set the "
        "subscription's resource details to send to All"
    )


def _event_id(payload: dict[str, Any], name: str) -> str:
    """Return the id Azure DevOps gave the event, which replays repeat."""
    value = payload.get("id")
    if not isinstance(value, str) or not value:
        raise MalformedInputError(
            f"a service hook event for tracker {name!r} has no id; it cannot be "
            "told apart from a replay"
        )
    return value


def _address(value: Any) -> Address | None:
    """Read an identity: `{"displayName", "uniqueName"}` or `Name <mail>`."""
    if isinstance(value, dict):
        display = str(value.get("displayName") or "")
        unique = str(value.get("uniqueName") or value.get("mailAddress") or "")
        return Address(email=unique, name=display) if "@" in unique else None
    if isinstance(value, str):
        display, email = parseaddr(value)
        return Address(email=email, name=display) if "@" in email else None
    return None
