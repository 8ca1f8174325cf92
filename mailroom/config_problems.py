"""Describe what is wrong with a configuration, and where it was set.

A value comes from the file or from an app setting that overrides it, and
each problem names the setting it came from. No description quotes a
value, which could be a secret.
"""

from __future__ import annotations

from collections.abc import Mapping

import yaml
from pydantic import ValidationError

# A problem as printed, and the app settings it came from (none: the file).
Problem = tuple[str, list[str]]


def describe_yaml(exc: yaml.YAMLError, source: str) -> str:
    """Say where the YAML breaks without quoting the line."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or "it cannot be read"
    return f"{source} is not valid YAML{where}: {problem}"


def describe_invalid(
    exc: ValidationError, source: str, set_by: Mapping[str, str]
) -> str:
    """Name each bad key, and the app setting that set it if one did."""
    problems: list[Problem] = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        setting = setting_for(key, set_by)
        settings = [setting] if setting else []
        problems.append((f"{key}: {error['msg']}", settings))
    return _report(source, problems)


def describe_checks(
    found: Mapping[str, list[str]], source: str, set_by: Mapping[str, str]
) -> str:
    """List each failed check, with the app settings of its section if any."""
    problems = [
        (sentence, settings_in(section, set_by))
        for section, sentences in found.items()
        for sentence in sentences
    ]
    return _report(source, problems)


def setting_for(key: str, set_by: Mapping[str, str]) -> str | None:
    """Return the app setting that set `key`, or the nearest section above it."""
    covering = [path for path in set_by if key == path or key.startswith(path + ".")]
    return set_by[max(covering, key=len)] if covering else None


def settings_in(section: str, set_by: Mapping[str, str]) -> list[str]:
    """Return the app settings that set `section` or any key inside it."""
    inside = [path for path in set_by if (path + ".").startswith(section + ".")]
    return sorted(set_by[path] for path in inside)


def _report(source: str, problems: list[Problem]) -> str:
    """Head the problems with where they came from: file, settings or both."""
    from_settings = sum(1 for _, settings in problems if settings)
    if from_settings == 0:
        where = f"{source} has"
    elif from_settings == len(problems):
        where = "the MAILROOM__ app settings have"
    else:
        where = f"{source} and the MAILROOM__ app settings have"
    lines = [f"{where} {len(problems)} problem(s):"]
    for text, settings in problems:
        origin = f" (from {', '.join(settings)})" if settings else ""
        lines.append(f"  {text}{origin}")
    return "\n".join(lines)
