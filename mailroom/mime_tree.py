"""The shape of a MIME tree: which parts make the body, which are files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import Message

_TOKEN_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def children(part: Message) -> list[Message]:
    """Return the subparts of a multipart, ignoring anything that is not one."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, Message)]


def content_type(part: Message) -> str:
    """Return the part's content type, or a safe default when it is garbage."""
    ctype = part.get_content_type()
    if _TOKEN_TYPE.match(ctype):
        return ctype
    return "application/octet-stream"


def report_type(message: Message) -> str | None:
    """Return the report-type of a multipart/report, else None."""
    if message.get_content_type() != "multipart/report":
        return None
    value = message.get_param("report-type")
    return value.strip().lower() if isinstance(value, str) else None


def is_message(part: Message) -> bool:
    """Tell whether a part is an attached message (message/*)."""
    return part.get_content_maintype() == "message"


def raw_filename(part: Message) -> str | None:
    """Return the file name a part gives itself, RFC 2231 already applied."""
    name = part.get_filename()
    return name if isinstance(name, str) and name.strip() else None


def is_attachment(part: Message) -> bool:
    """Tell whether a part is meant as a file: a disposition or a name."""
    if is_message(part):
        return True
    if part.is_multipart():
        return part.get_content_disposition() == "attachment"
    disposition = part.get_content_disposition()
    return disposition == "attachment" or raw_filename(part) is not None


def body_parts(part: Message, kind: str) -> list[Message]:
    """Return the parts that make the `kind` body (`plain` or `html`)."""
    subtype = part.get_content_subtype()
    if is_message(part) or not part.is_multipart():
        return [part] if _is_body_leaf(part, kind) else []
    parts = [child for child in children(part) if not is_attachment(child)]
    if subtype == "alternative":
        ordered = parts if kind == "plain" else parts[::-1]
        found = (body_parts(child, kind) for child in ordered)
        return next((chosen for chosen in found if chosen), [])
    if subtype == "related":
        return body_parts(_related_root(part, parts), kind) if parts else []
    return [body for child in parts for body in body_parts(child, kind)]


def _is_body_leaf(part: Message, kind: str) -> bool:
    """Tell whether a leaf is readable text of `kind` rather than a file."""
    if part.get_content_maintype() != "text" or is_attachment(part):
        return False
    return part.get_content_subtype() == kind


def _related_root(part: Message, parts: list[Message]) -> Message:
    """Return the root of a multipart/related: its `start` part or the first."""
    start = part.get_param("start")
    if isinstance(start, str):
        wanted = start.strip().strip("<>")
        for child in parts:
            if str(child.get("Content-ID", "")).strip().strip("<>") == wanted:
                return child
    return parts[0]


def leaves(part: Message, in_related: bool = False) -> Iterator[tuple[Message, bool]]:
    """Yield every leaf with whether it sits in a multipart/related.

    An attached message is one leaf: its inner parts belong to it.
    """
    if is_message(part) or not part.is_multipart():
        yield part, in_related
        return
    related = in_related or part.get_content_subtype() == "related"
    for child in children(part):
        yield from leaves(child, related)
