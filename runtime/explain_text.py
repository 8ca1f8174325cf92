"""Explain's reports as text: `key: value` lines a person can read and grep."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

INDENT = "    "
ABSENT = object()


def text_lines(report: dict[str, Any]) -> list[str]:
    """Return a report as `key: value` lines, nested keys joined by dots.

    A value of several lines follows its key, indented.
    """
    lines: list[str] = []
    for path, value in leaves(report):
        shown = show(value)
        if "\n" in shown:
            lines.append(f"{path}:")
            lines += [(INDENT + line).rstrip() for line in shown.splitlines()]
        else:
            lines.append(f"{path}: {shown}")
    return lines


def diff_lines(differences: list[dict[str, Any]]) -> list[str]:
    """Return each changed mail's subject and source, then what changes."""
    if not differences:
        return ["no mail would be decided differently"]
    lines: list[str] = []
    for entry in differences:
        subject = entry["subject"] or "(no subject)"
        lines.append(f"{subject}  ({entry['source']}, {entry['mail']})")
        for part, change in entry["changes"].items():
            found = changed_leaves(part, change["before"], change["after"])
            lines += [INDENT + line for line in found]
    return lines


def changed_leaves(part: str, before: Any, after: Any) -> list[str]:
    """Return a `path: before → after` line for each value that differs."""
    old, new = dict(leaves(before, part)), dict(leaves(after, part))
    lines: list[str] = []
    for path in dict.fromkeys([*old, *new]):
        was, now = old.get(path, ABSENT), new.get(path, ABSENT)
        if was == now or emptied(was, now) or emptied(now, was):
            continue
        lines.append(f"{path}: {one_line(was)} → {one_line(now)}")
    return lines


def emptied(one: Any, other: Any) -> bool:
    """Tell whether a container went empty: the lines of its values say so."""
    return one is ABSENT and other in ({}, [])


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Yield each value inside nested dicts and lists with its dotted path."""
    if isinstance(value, dict) and value:
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list) and value:
        items = enumerate(value)
    else:
        yield path, value
        return
    for key, item in items:
        yield from leaves(item, f"{path}.{key}" if path else str(key))


def show(value: Any) -> str:
    """Return a leaf as text: strings as they are, anything else as JSON."""
    if value is ABSENT:
        return "(none)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def one_line(value: Any) -> str:
    """Return a leaf as text on one line."""
    shown = show(value)
    return json.dumps(shown, ensure_ascii=False) if "\n" in shown else shown
