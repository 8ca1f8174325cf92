"""Typed field values: text, choices, numbers, dates, users and lists."""

from __future__ import annotations

import re
from collections.abc import Callable

from mailroom.config import FieldMapConfig
from mailroom.field_dates import read_date
from mailroom.field_labels import fold_text
from mailroom.models import FieldProblem, TicketFields

Converter = Callable[[str, FieldMapConfig], str | None]

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*")
_ITEM_SEPARATOR = re.compile(r"[,;]")


def fit_value(field: str, value: str, config: FieldMapConfig) -> TicketFields:
    """Convert a value to its field's type and check it against the choices.

    The result holds the field's value, or a problem naming the allowed
    values or the expected format; a list may hold both, one problem for
    each item that does not fit.
    """
    kind = config.types.get(field, "text")
    if kind == "multi":
        return _fit_items(field, value, config)

    converted = _CONVERTERS[kind](value, config)
    if converted is None:
        return rejected(field, value, _expected(kind, config))
    return _fit_choice(field, converted, value, config)


def _fit_choice(
    field: str, converted: str, written: str, config: FieldMapConfig
) -> TicketFields:
    """Return the allowed value that matches, in its configured spelling."""
    allowed = config.allowed_values.get(field)
    if allowed is None:
        return TicketFields(values={field: converted})
    for candidate in allowed:
        if fold_text(candidate) == fold_text(converted):
            return TicketFields(values={field: candidate})

    reason = f"not one of the allowed values: {', '.join(allowed)}"
    return rejected(field, written, reason)


def rejected(field: str, value: str, reason: str) -> TicketFields:
    """Return the problem of a value that its field cannot take."""
    return TicketFields(
        problems=[FieldProblem(field=field, value=value, reason=reason)]
    )


def _fit_items(field: str, value: str, config: FieldMapConfig) -> TicketFields:
    """Fit each item of a comma- or semicolon-separated list on its own."""
    items = [" ".join(item.split()) for item in _ITEM_SEPARATOR.split(value)]
    kept: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for item in filter(None, items):
        fitted = _fit_choice(field, item, item, config)
        problems += fitted.problems
        for good in fitted.values.values():
            kept.setdefault(fold_text(good), good)

    if not kept and not problems:
        reason = _expected("multi", config)
        problems.append(FieldProblem(field=field, value=value, reason=reason))
    values = {field: ", ".join(kept.values())} if kept else {}
    return TicketFields(values=values, problems=problems)


def _as_text(value: str, config: FieldMapConfig) -> str | None:
    """Return the value as written."""
    return value


def _as_number(value: str, config: FieldMapConfig) -> str | None:
    """Return an integer or decimal with a point, accepting a decimal comma."""
    if not _NUMBER.fullmatch(value):
        return None
    return value.replace(",", ".").removeprefix("+")


def _as_date(value: str, config: FieldMapConfig) -> str | None:
    """Return the written date as an ISO date."""
    found = read_date(value, month_first=config.date_order == "mdy")
    return found.isoformat() if found else None


def _as_user(value: str, config: FieldMapConfig) -> str | None:
    """Return the one address written, bare or with a display name."""
    found = {fold_text(a): a for a in _ADDRESS.findall(value)}
    if len(found) != 1:
        return None
    local, _, domain = next(iter(found.values())).rpartition("@")
    return f"{local}@{domain.lower()}"


_CONVERTERS: dict[str, Converter] = {
    "text": _as_text,
    "choice": _as_text,
    "number": _as_number,
    "date": _as_date,
    "user": _as_user,
}


def _expected(kind: str, config: FieldMapConfig) -> str:
    """Say what a value of the type looks like, so the sender can fix it."""
    if kind != "date":
        return _EXPECTED[kind]
    slashed = "12/31/2026" if config.date_order == "mdy" else "31/12/2026"
    return f"expected a date such as 2026-12-31, 31.12.2026, {slashed} or 31 Dec 2026"


_EXPECTED = {
    "number": "expected a number such as 12, 1.5 or 1,5",
    "user": "expected one email address, bare or as Name <name@example.com>",
    "multi": "expected one or more values separated by commas or semicolons",
}
