"""Name a place in a configuration as its file reads, and what fits there.

Pydantic locates a problem by keys and list indexes, and puts the tag of a
tool's kind in between (`trackers.jira.jira.base_url`). Here the same place
reads `trackers.jira.base_url`, and a route is named with its index and its
name, `routes[0] ('everything')`.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

# Pydantic marks an error in a dictionary's key with this part.
KEY_PART = "[key]"


@dataclass(frozen=True)
class Place:
    """Where a problem is, in the words of the file and of the app settings."""

    label: str
    # The dotted path an app setting names: MAILROOM__a__b sets `a.b`.
    key: str
    # The section the last key sits in, when it is a model, and its label.
    parent: type[BaseModel] | None
    parent_label: str
    # The kinds a tool may have, when the last key is a tool's kind.
    choices: tuple[str, ...] = ()


def find_place(root: type[BaseModel], data: Any, where: Sequence[str | int]) -> Place:
    """Follow `where` through the model and the data, naming each step."""
    node: Any = root
    value: Any = data
    label, keys = "", []
    parent: type[BaseModel] | None = root
    parent_label = ""
    choices: tuple[str, ...] = ()
    for part in where:
        node = _unwrap(node)
        members = _tagged_members(node)
        if part in members:
            node = members[str(part)]
            continue
        if part == KEY_PART:
            continue

        parent, parent_label = _model(node), label
        choices = tuple(members)
        label += _step(label, part, value)
        keys.append(str(part))
        node = _child_type(node, part)
        value = _child_value(value, part)
    return Place(label, ".".join(keys), parent, parent_label, choices)


def list_keys(model: type[BaseModel] | None) -> list[str]:
    """Return the keys a section may hold, in the model's order."""
    return list(model.model_fields) if model is not None else []


def _step(label: str, part: str | int, value: Any) -> str:
    """Name one step: `.key`, or `[index]` with the entry's name if it has one."""
    if isinstance(part, int):
        entry = _child_value(value, part)
        name = entry.get("name") if isinstance(entry, dict) else None
        return f"[{part}] ({name!r})" if isinstance(name, str) else f"[{part}]"
    return f".{part}" if label else part


def _unwrap(node: Any) -> Any:
    """Strip Annotated, and None from an optional type."""
    while get_origin(node) is Annotated:
        node = get_args(node)[0]
    if _is_union(node):
        members = [arg for arg in get_args(node) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return node


def _is_union(node: Any) -> bool:
    """Tell whether a type is a union, in either spelling."""
    return get_origin(node) in (Union, types.UnionType)


def _tagged_members(node: Any) -> dict[str, type[BaseModel]]:
    """Map each kind of a union of sections to its section; {} if no union."""
    if not _is_union(node):
        return {}
    members: dict[str, type[BaseModel]] = {}
    for member in get_args(node):
        model = _model(member)
        field = model.model_fields.get("kind") if model else None
        if model and field and get_origin(field.annotation) is Literal:
            members |= {str(tag): model for tag in get_args(field.annotation)}
    return members


def _model(node: Any) -> type[BaseModel] | None:
    """Return `node` if it is a section's model, else None."""
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


def _child_type(node: Any, part: str | int) -> Any:
    """Return the type expected one step further, or None where unknown."""
    model = _model(node)
    if model is not None:
        field = model.model_fields.get(str(part))
        return field.annotation if field else None
    if get_origin(node) is list:
        return get_args(node)[0]
    if get_origin(node) is dict:
        return get_args(node)[1]
    return None


def _child_value(value: Any, part: str | int) -> Any:
    """Return what the file holds one step further, or None."""
    if isinstance(value, dict):
        return value.get(part)
    if isinstance(value, list) and isinstance(part, int) and part < len(value):
        return value[part]
    return None
