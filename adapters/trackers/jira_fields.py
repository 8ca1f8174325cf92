"""Fit Mailroom's ticket fields to what Jira's create metadata allows.

Jira's create metadata lists, per project and issue type, the fields on the
create screen with their type and, for choice fields, the allowed values.
A mapped value that fits is shaped the way Jira's create call takes it
(`{"name": ...}` for a priority, `[{"name": ...}]` for components, a string
or `{"value": ...}` for custom fields); one that does not fit is left out
of the create and reported, never sent blind or dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mailroom.models import FieldProblem

MAX_LISTED = 15
_ITEM_SEPARATOR = re.compile(r"[,;]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Array item types whose values Jira takes as objects, and the key it reads.
_OBJECT_ITEMS = {"component": "name", "version": "name", "option": "value"}


@dataclass(frozen=True)
class JiraField:
    """One field of Jira's create screen, as its create metadata describes it."""

    field_id: str
    name: str
    type: str
    items: str | None = None
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldCatalog:
    """The create screen of the configured project and issue type."""

    issue_type_id: str
    fields: tuple[JiraField, ...]

    def find(self, wanted: str) -> JiraField | None:
        """Return the field with this id, else the one with this name."""
        for jira_field in self.fields:
            if jira_field.field_id == wanted:
                return jira_field
        folded = wanted.casefold()
        for jira_field in self.fields:
            if jira_field.name.casefold() == folded:
                return jira_field
        return None


@dataclass
class FittedFields:
    """Jira's create values, the fields carried as text, and the problems."""

    values: dict[str, Any] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)


def read_catalog(issue_type_id: str, entries: list[dict[str, Any]]) -> FieldCatalog:
    """Build the catalog from the `fields` (or `values`) of create metadata."""
    fields = []
    for entry in entries:
        schema = entry.get("schema") or {}
        allowed = tuple(
            label
            for option in entry.get("allowedValues") or []
            if (label := _label(option)) is not None
        )
        fields.append(
            JiraField(
                field_id=str(entry.get("fieldId") or entry.get("key") or ""),
                name=str(entry.get("name") or ""),
                type=str(schema.get("type") or "string"),
                items=schema.get("items"),
                allowed=allowed,
            )
        )
    return FieldCatalog(issue_type_id, tuple(fields))


def fit_fields(
    fields: dict[str, str], field_map: dict[str, str], catalog: FieldCatalog | None
) -> FittedFields:
    """Shape each mapped field for Jira; carry unmapped ones as text."""
    fitted = FittedFields()
    for name, raw in sorted(fields.items()):
        target = field_map.get(name)
        if target is None:
            fitted.carried[name] = raw
            continue
        jira_field = catalog.find(target) if catalog else None
        if jira_field is None:
            reason = f"Jira has no field '{target}' on this project's create screen"
            fitted.problems.append(FieldProblem(field=name, value=raw, reason=reason))
            continue

        value, problems = shape(name, raw, jira_field)
        fitted.problems += problems
        if value is not None:
            fitted.values[jira_field.field_id] = value
    return fitted


def shape(name: str, raw: str, jira_field: JiraField) -> tuple[Any, list[FieldProblem]]:
    """Return the value Jira's create call takes for `raw`, and any problems."""
    kind = jira_field.type
    if kind == "array":
        return _shape_items(name, raw, jira_field)
    if kind in ("priority", "option", "string", "resolution", "securitylevel"):
        choice = _choose(raw.strip(), jira_field)
        if choice is None:
            return None, [_not_allowed(name, raw, jira_field)]
        key = "value" if kind == "option" else "name"
        return (choice if kind == "string" else {key: choice}), []
    if kind == "number":
        try:
            return float(raw.strip().replace(",", ".")), []
        except ValueError:
            return None, [
                _problem(name, raw, f"Jira's {jira_field.name} takes a number")
            ]
    if kind == "date" and _DATE.fullmatch(raw.strip()):
        return raw.strip(), []
    reason = f"Jira's {jira_field.name} field ({kind}) cannot be filled from mail"
    return None, [_problem(name, raw, reason)]


def _shape_items(
    name: str, raw: str, jira_field: JiraField
) -> tuple[Any, list[FieldProblem]]:
    """Shape a list field (labels, components, multi-selects) item by item."""
    items = [" ".join(item.split()) for item in _ITEM_SEPARATOR.split(raw)]
    kept: list[Any] = []
    problems: list[FieldProblem] = []
    key = _OBJECT_ITEMS.get(jira_field.items or "")
    if jira_field.items != "string" and key is None:
        reason = f"Jira's {jira_field.name} field cannot be filled from mail"
        return None, [_problem(name, raw, reason)]

    for item in filter(None, items):
        choice = _choose(item, jira_field)
        if choice is None:
            problems.append(_not_allowed(name, item, jira_field))
        elif key is None:
            # Jira labels cannot hold spaces; a hyphen keeps the words.
            kept.append(choice.replace(" ", "-"))
        else:
            kept.append({key: choice})
    return (kept or None), problems


def _choose(value: str, jira_field: JiraField) -> str | None:
    """Return Jira's spelling of `value`, or None if it is not allowed."""
    if not jira_field.allowed:
        return value or None
    folded = value.casefold()
    for allowed in jira_field.allowed:
        if allowed.casefold() == folded:
            return allowed
    return None


def _not_allowed(name: str, value: str, jira_field: JiraField) -> FieldProblem:
    listed = ", ".join(jira_field.allowed[:MAX_LISTED])
    more = ", …" if len(jira_field.allowed) > MAX_LISTED else ""
    reason = f"not one of Jira's {jira_field.name} values: {listed}{more}"
    return _problem(name, value, reason)


def _problem(name: str, value: str, reason: str) -> FieldProblem:
    return FieldProblem(field=name, value=value, reason=reason)


def _label(option: Any) -> str | None:
    """Return how an allowed value is named: `value` for options, else `name`."""
    if not isinstance(option, dict):
        return None
    label = option.get("value", option.get("name"))
    return None if label is None else str(label)
