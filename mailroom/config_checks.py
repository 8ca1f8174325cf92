"""Start-up checks that span keys, or need the rules a section configures.

They run over every part of the configuration that is valid on its own,
even when another part is not, so that one reading reports every problem.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mailroom.acknowledgement import check_templates
from mailroom.config import (
    AcknowledgementConfig,
    FieldMapConfig,
    MailboxConfig,
    RouteConfig,
)
from mailroom.config_problems import Problem
from mailroom.config_tool_checks import check_tools
from mailroom.fields import check_field_map
from mailroom.routing import check_route, glob_matches

Section = TypeVar("Section", bound=BaseModel)


def check_config(data: dict[str, Any]) -> list[Problem]:
    """Return a Problem for each check that fails on the valid parts of `data`."""
    routes = validate_entries(data.get("routes"), RouteConfig)
    return [
        *check_mailboxes(data.get("mailboxes"), routes),
        *check_route_entries(routes, data.get("trackers")),
        *check_tools(data.get("trackers")),
        *check_rules(data),
    ]


def check_mailboxes(entries: Any, routes: dict[int, RouteConfig]) -> list[Problem]:
    """Check that no mailbox repeats, and that routes name watched ones.

    Whether a route's pattern names a watched mailbox can only be told when
    every mailbox entry is valid.
    """
    mailboxes = validate_entries(entries, MailboxConfig)
    problems = check_repeated_mailboxes(mailboxes)
    if mailboxes and len(mailboxes) == len(entries):
        watched = [box.address for box in mailboxes.values()]
        problems += check_mailbox_patterns(routes, watched)
    return problems


def check_route_entries(routes: dict[int, RouteConfig], trackers: Any) -> list[Problem]:
    """Check names, patterns and tools of the routes that are valid."""
    problems = check_repeated_route_names(routes)
    for index, route in routes.items():
        found = check_route(index, route)
        problems += [Problem(("routes", index, "match"), text) for text in found]
    if isinstance(trackers, dict):
        problems += check_tools_known(routes, set(trackers))
    return problems


def check_rules(data: dict[str, Any]) -> list[Problem]:
    """Check the field map and the templates, where their sections are valid."""
    problems: list[Problem] = []
    fields = validate_section(data.get("fields", {}), FieldMapConfig)
    if fields is not None:
        problems += [Problem(("fields",), text) for text in check_field_map(fields)]
    acknowledgement = validate_section(
        data.get("acknowledgement", {}), AcknowledgementConfig
    )
    if acknowledgement is not None:
        found = check_templates(acknowledgement)
        problems += [Problem(("acknowledgement",), text) for text in found]
    return problems


def check_repeated_mailboxes(mailboxes: dict[int, MailboxConfig]) -> list[Problem]:
    """Report each mailbox whose address an earlier entry has already."""
    addresses = {index: box.address.lower() for index, box in mailboxes.items()}
    return [
        Problem(
            ("mailboxes", index, "address"),
            f"has the address of mailboxes[{first}]; watch each mailbox "
            "once, with all its folders in one entry",
        )
        for index, first in repeats(addresses).items()
    ]


def check_repeated_route_names(routes: dict[int, RouteConfig]) -> list[Problem]:
    """Report each route whose name an earlier route has already."""
    names = {index: route.name for index, route in routes.items()}
    return [
        Problem(
            ("routes", index, "name"),
            f"is the name of routes[{first}] too; give each route its own "
            "name, which the ledger, explain and the log show",
        )
        for index, first in repeats(names).items()
    ]


def repeats(values: dict[int, str]) -> dict[int, int]:
    """Map the index of each value seen before to the index it was first at."""
    first_at: dict[str, int] = {}
    found: dict[int, int] = {}
    for index, value in values.items():
        first = first_at.setdefault(value, index)
        if first != index:
            found[index] = first
    return found


def check_tools_known(routes: dict[int, RouteConfig], tools: set[str]) -> list[Problem]:
    """Report each tool a route names that is not under trackers."""
    return [
        Problem(
            ("routes", index, "tools"),
            f"names {tool!r}, which is not under trackers; add it there or "
            "fix the route",
        )
        for index, route in routes.items()
        for tool in route.tools
        if tool not in tools
    ]


def check_mailbox_patterns(
    routes: dict[int, RouteConfig], watched: list[str]
) -> list[Problem]:
    """Report each mailbox pattern of a route that no watched mailbox matches."""
    return [
        Problem(
            ("routes", index, "match", "mailbox", position),
            "matches no address under mailboxes, so the route never applies; "
            "watch that mailbox or fix the pattern",
        )
        for index, route in routes.items()
        for position, pattern in enumerate(route.match.mailbox)
        if not any(glob_matches(pattern, address) for address in watched)
    ]


def validate_entries(entries: Any, model: type[Section]) -> dict[int, Section]:
    """Return the entries of a list that are valid on their own, by index."""
    if not isinstance(entries, list):
        return {}
    valid: dict[int, Section] = {}
    for index, entry in enumerate(entries):
        section = validate_section(entry, model)
        if section is not None:
            valid[index] = section
    return valid


def validate_section(value: Any, model: type[Section]) -> Section | None:
    """Return `value` as `model`, or None when it is not valid."""
    try:
        return model.model_validate(value)
    except ValidationError:
        return None
