"""Describe what is wrong with a configuration, and where it was set.

A value comes from the file or from an app setting that overrides it, and
each problem names the setting it came from. Places read as the file does
(`routes[0] ('everything').tools`), and no description quotes a value,
which could be a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mailroom.config_places import Place, find_place, list_keys

# Where a problem is, as pydantic gives it: keys and list indexes.
Location = tuple[str | int, ...]
# Pydantic's opening words of a constraint, which read as "must" here.
_SHOULD = re.compile(r"^(Input|String|List|Value|Dictionary|Object) should ")
_BOUNDS = {"less than or equal to": "at most", "greater than or equal to": "at least"}
# Listing more keys than this helps less than the reference does.
MAX_KEYS_LISTED = 10
# How alike an unknown key and a known one are before one is suggested.
LIKENESS = 0.75
# The app settings a problem came from, and those that only set something
# inside the place it is about.
Origin = tuple[list[str], list[str]]


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where it is, and what is wrong and how to fix it."""

    where: Location
    text: str


def describe_yaml(exc: yaml.YAMLError, source: str) -> str:
    """Say where the YAML breaks without quoting the line."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or "it cannot be read"
    return f"{source} is not valid YAML{where}: {problem}"


def collect_problems(
    exc: ValidationError, root: type[BaseModel], data: Any
) -> list[Problem]:
    """Word each error pydantic found, without the input it refused."""
    return [_word_error(error, root, data) for error in exc.errors()]


def _word_error(error: ErrorDetails, root: type[BaseModel], data: Any) -> Problem:
    """Word one pydantic error as a sentence that says how to fix it."""
    where = tuple(error["loc"])
    kind = error["type"]
    if kind == "value_error":
        return Problem(where, str((error.get("ctx") or {})["error"]))
    if kind == "missing":
        return Problem(where, "is required; add it")
    if kind == "extra_forbidden":
        return Problem(where, _unknown_key(find_place(root, data, where)))
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = (*where, "kind")
        kinds = ", ".join(map(repr, find_place(root, data, tag).choices))
        return Problem(tag, f"must be one of {kinds}")
    if kind in ("dict_type", "model_type"):
        return Problem(where, "must be a section of keys and values")
    text = _SHOULD.sub("must ", error["msg"])
    for bound, plain in _BOUNDS.items():
        text = text.replace(bound, plain)
    return Problem(where, text)


def _unknown_key(place: Place) -> str:
    """Say that a key is unknown, and which one was likely meant."""
    known = list_keys(place.parent)
    name = place.key.rpartition(".")[2]
    alike = get_close_matches(name.lower(), known, n=1, cutoff=LIKENESS)
    hint = f"did you mean {alike[0]!r}?" if alike else ""
    if not place.parent_label:
        sections = f"the sections are {', '.join(known)}"
        return f"is not a section of the configuration; {hint or sections}"

    sentence = f"is not a key of {place.parent_label}"
    if hint:
        return f"{sentence}; {hint}"
    if known and len(known) <= MAX_KEYS_LISTED:
        return f"{sentence}; the keys there are {', '.join(known)}"
    return f"{sentence}; README.md, Configuration reference, lists its keys"


def describe_problems(
    problems: list[Problem],
    data: Any,
    root: type[BaseModel],
    source: str,
    set_by: Mapping[str, str],
) -> str:
    """List every problem, in the order of the sections, with its origin."""
    order = list(root.model_fields)
    lines: list[tuple[str, Origin]] = []
    for problem in sorted(problems, key=lambda p: _rank(p.where, order)):
        place = find_place(root, data, problem.where)
        lines.append(
            (_line(place.label, problem.text), _find_origin(place.key, set_by))
        )
    return _report(source, lines)


def _rank(where: Location, order: list[str]) -> int:
    """Rank a problem by its section's position in the model."""
    head = where[0] if where else ""
    return order.index(head) if head in order else len(order)


def _line(label: str, text: str) -> str:
    """Join place and sentence, unless the sentence opens with the place."""
    follows = text[len(label) : len(label) + 1]
    if not label or (text.startswith(label) and follows in (" ", ".", "[")):
        return text
    return f"{label}: {text}"


def _find_origin(key: str, set_by: Mapping[str, str]) -> Origin:
    """Return the setting of `key` or of a section above it, else those inside."""
    covering = [path for path in set_by if key == path or key.startswith(path + ".")]
    if covering:
        return [set_by[max(covering, key=len)]], []
    inside = sorted(set_by[path] for path in set_by if path.startswith(key + "."))
    return [], inside if key else []


def _report(source: str, lines: list[tuple[str, Origin]]) -> str:
    """Head the problems with where they came from: file, settings or both."""
    from_settings = sum(1 for _, (came, _inside) in lines if came)
    in_part = any(inside for _, (_came, inside) in lines)
    if from_settings == len(lines):
        where = "the MAILROOM__ app settings have"
    elif from_settings or in_part:
        where = f"{source} and the MAILROOM__ app settings have"
    else:
        where = f"{source} has"

    report = [f"{where} {len(lines)} problem(s):"]
    for text, (came, inside) in lines:
        if came:
            text += f" (from {', '.join(came)})"
        elif inside:
            text += f" (in part from {', '.join(inside)})"
        report.append(f"  {text}")
    return "\n".join(report)
