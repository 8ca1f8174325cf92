"""Fit mail fields to the fields of an Azure DevOps work item type.

The fields of the configured type, with their allowed values, come from
Work Item Types Field - List (`workitemtypes/{type}/fields`, `$expand=
allowedValues`). A Mailroom field goes to the field that `field_map` names,
or else to a field of the type whose reference or display name is the same
(`severity` finds Severity). A value must equal one of the field's allowed
values, case aside, and is sent as Azure DevOps spells it; a field without
allowed values takes any text. A Mailroom field that finds no field at
all is carried as text in the description ("Fields from the mail"), as the
other tools do. A value a field refuses, or a `field_map` entry naming a
field the type lacks, is left out and reported as a FieldProblem, never
sent blind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mailroom.models import FieldProblem

SHOWN_VALUES = 12


@dataclass(frozen=True)
class FieldRule:
    """One field of a work item type and the values it allows (none: any)."""

    reference_name: str
    name: str
    allowed: tuple[str, ...] = ()


@dataclass
class FittedFields:
    """Values by reference name, fields carried as text, and the problems."""

    values: dict[str, str] = field(default_factory=dict)
    carried: dict[str, str] = field(default_factory=dict)
    problems: list[FieldProblem] = field(default_factory=list)


def parse_field_rules(payload: Any) -> dict[str, FieldRule]:
    """Index a type's fields by reference name and display name, case folded."""
    items = payload.get("value") if isinstance(payload, dict) else None
    rules: dict[str, FieldRule] = {}
    for item in items if isinstance(items, list) else []:
        reference = item.get("referenceName") if isinstance(item, dict) else None
        if not isinstance(reference, str) or not reference:
            continue
        name = str(item.get("name") or reference)
        values = item.get("allowedValues") or []
        rule = FieldRule(reference, name, tuple(str(value) for value in values))
        rules.setdefault(reference.casefold(), rule)
        rules.setdefault(name.casefold(), rule)
    return rules


def fit_fields(
    values: dict[str, str],
    field_map: dict[str, str],
    rules: dict[str, FieldRule],
    work_item_type: str,
) -> FittedFields:
    """Fit each value to its field; carry those that find no field as text."""
    fitted = FittedFields()
    for name, value in values.items():
        target = field_map.get(name)
        if target is None and name.casefold() not in rules:
            fitted.carried[name] = value
            continue

        outcome = fit_value(name, value, target or name, rules)
        if isinstance(outcome, FieldProblem):
            fitted.problems.append(_for_type(outcome, work_item_type))
        else:
            fitted.values[outcome[0]] = outcome[1]
    return fitted


def fit_value(
    field: str, value: str, target: str, rules: dict[str, FieldRule]
) -> tuple[str, str] | FieldProblem:
    """Return (reference name, value as spelled by the tool) or the problem."""
    rule = rules.get(target.casefold())
    if rule is None:
        reason = f"no field {target}; correct the tracker's field_map"
        return FieldProblem(field=field, value=value, reason=reason)
    if not rule.allowed:
        return rule.reference_name, value

    wanted = value.strip().casefold()
    for allowed in rule.allowed:
        if allowed.casefold() == wanted:
            return rule.reference_name, allowed
    shown = ", ".join(rule.allowed[:SHOWN_VALUES])
    more = ", ..." if len(rule.allowed) > SHOWN_VALUES else ""
    reason = f"not an allowed value of {rule.name} (allowed: {shown}{more})"
    return FieldProblem(field=field, value=value, reason=reason)


def _for_type(problem: FieldProblem, work_item_type: str) -> FieldProblem:
    """Say in a problem's reason which tool and type refused the value."""
    reason = f"Azure DevOps {work_item_type}: {problem.reason}"
    return problem.model_copy(update={"reason": reason})
