"""Reading a configuration: what is refused at start-up, and how it is said."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mailroom.config import Config, parse_config
from mailroom.errors import ConfigurationError

# The least a configuration holds: a mailbox, a tool, and a route to it.
BASE: dict[str, Any] = {
    "mailboxes": [{"address": "helpdesk@example.org"}],
    "trackers": {"local": {"kind": "local"}},
    "routes": [{"name": "everything", "tools": ["local"]}],
}


def report(**changes: Any) -> str:
    """Return the error that BASE with `changes` over it is refused with."""
    with pytest.raises(ConfigurationError) as caught:
        parse_config(yaml.safe_dump(BASE | changes), "mailroom.yaml")
    return str(caught.value)


def problems(**changes: Any) -> list[str]:
    """Return the problem lines of the error, without their heading."""
    _, *lines = report(**changes).splitlines()
    return [line.strip() for line in lines]


def test_the_base_configuration_is_accepted() -> None:
    """A mailbox, a tool and a route make a configuration."""
    assert isinstance(parse_config(yaml.safe_dump(BASE)), Config)


def test_a_configuration_that_watches_no_mailbox_is_refused() -> None:
    """`mailboxes: []` names mailboxes and says what to add."""
    [line] = problems(mailboxes=[])
    assert line.startswith("mailboxes: lists no mailbox; Mailroom needs at least one")


def test_an_empty_configuration_names_each_empty_section_at_once() -> None:
    """No mailbox, no tool and no route: three problems in one report."""
    lines = problems(mailboxes=[], trackers={}, routes=[])
    assert [line.split(":")[0] for line in lines] == ["mailboxes", "trackers", "routes"]
    assert "lists no route, so every mail would be skipped" in lines[2]


def test_a_mailbox_without_folders_is_refused() -> None:
    """A mailbox that watches no folder would get no subscription."""
    [line] = problems(mailboxes=[{"address": "a@example.org", "folders": []}])
    assert line.startswith("mailboxes[0].folders: lists no folder")


def test_a_folder_named_twice_is_refused() -> None:
    """Folder names are compared without case, as Exchange compares them."""
    box = {"address": "a@example.org", "folders": ["Inbox", "inbox"]}
    [line] = problems(mailboxes=[box])
    assert line.startswith("mailboxes[0].folders: entries 0 and 1 name the same")


def test_two_entries_for_one_mailbox_are_refused() -> None:
    """The same address twice, in any case, names the later entry."""
    boxes = [{"address": "a@example.org"}, {"address": "A@Example.org"}]
    [line] = problems(mailboxes=boxes)
    assert line.startswith("mailboxes[1].address: has the address of mailboxes[0]")


def test_an_address_that_is_not_one_is_refused_unquoted() -> None:
    """An address without @ is refused, and never echoed."""
    [line] = problems(mailboxes=[{"address": "helpdesk-s3cr3t"}])
    assert line.startswith("mailboxes[0].address: is not a mail address")
    assert "s3cr3t" not in line


def test_a_route_for_a_mailbox_not_watched_is_refused() -> None:
    """A route whose mailbox pattern matches no watched mailbox never applies."""
    route = {"name": "it", "tools": ["local"], "match": {"mailbox": ["it@*"]}}
    [line] = problems(routes=[route])
    assert line.startswith(
        "routes[0] ('it').match.mailbox[0]: matches no address under mailboxes"
    )
    assert "it@*" not in line


def test_routes_that_share_a_name_are_refused() -> None:
    """Route names tell routes apart in the ledger and explain."""
    route = {"name": "everything", "tools": ["local"]}
    [line] = problems(routes=[route, route])
    assert line.startswith("routes[1] ('everything').name: is the name of routes[0]")


def test_a_route_to_an_unknown_tool_reads_in_plain_words() -> None:
    """The place reads as the file does, without pydantic's wording."""
    message = report(routes=[{"name": "everything", "tools": ["jira"]}])
    assert (
        "  routes[0] ('everything').tools: names 'jira', which is not under "
        "trackers; add it there or fix the route"
    ) in message
    assert "Value error" not in message and "(top level)" not in message


def test_every_problem_is_reported_in_one_reading() -> None:
    """Unknown keys, a route's tool, a pattern and a URL come together."""
    route = {"name": "everything", "tools": ["jira"], "match": {"subject": "(["}}
    message = report(routes=[route], runtime={"public_url": "notaurl"}, colour="red")
    heading, *lines = message.splitlines()
    assert heading == "mailroom.yaml has 4 problem(s):"
    assert [line.split()[0] for line in lines] == [
        "routes[0]",
        "routes[0]",
        "runtime.public_url:",
        "colour:",
    ]


@pytest.mark.parametrize(
    "url", ["notaurl", "127.0.0.1:7071", "ftp://example.org", "http://", "/api"]
)
def test_public_url_must_be_an_absolute_http_address(url: str) -> None:
    """A public_url that is no http(s) address is refused, citing Graph's https."""
    [line] = problems(runtime={"public_url": url})
    assert line.startswith(
        "runtime.public_url: is not an absolute http:// or https:// address"
    )
    assert "Graph posts notifications to https addresses only" in line


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:7071", "https://mailroom.example.org/", "http://[::1]:80"]
)
def test_local_and_https_public_urls_are_accepted(url: str) -> None:
    """The local address stays valid, and so does a real tenant's."""
    config = parse_config(yaml.safe_dump(BASE | {"runtime": {"public_url": url}}))
    assert config.runtime.public_url == url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://example.org/?code=s3cr3t", "holds a user, a query or a fragment"),
        ("http://127.0.0.1:99999", "has a port that is not a number"),
    ],
)
def test_public_url_refuses_a_query_and_a_bad_port(url: str, says: str) -> None:
    """Mailroom adds its own path and ?code= to the address."""
    [line] = problems(runtime={"public_url": url})
    assert line.startswith(f"runtime.public_url: {says}")
    assert "s3cr3t" not in line


def test_a_tools_kind_is_refused_without_echoing_it() -> None:
    """An unknown kind lists the kinds; the value given stays unprinted."""
    [line] = problems(trackers={"local": {"kind": "s3cr3t"}})
    assert line.startswith("trackers.local.kind: must be one of 'local', 'jira'")
    assert "s3cr3t" not in line


def test_a_missing_key_of_a_tool_is_placed_without_its_kind() -> None:
    """Pydantic's trackers.ops.jira.project reads trackers.ops.project."""
    jira = {"kind": "jira", "base_url": "https://jira.example.org"}
    lines = problems(trackers={"local": {"kind": "local"}, "ops": jira})
    assert lines == ["trackers.ops.project: is required; add it"]


def test_an_unknown_key_suggests_the_likely_one() -> None:
    """A misspelt key is named with the key it most resembles."""
    [line] = problems(mail={"kindd": "local"})
    assert line == "mail.kindd: is not a key of mail; did you mean 'kind'?"


def test_an_unknown_section_lists_the_sections() -> None:
    """A section that is nothing like a known one gets the list of sections."""
    [line] = problems(colour="red")
    assert line.startswith("colour: is not a section of the configuration; the ")
    assert "mailboxes, mail, trackers, routes" in line


def test_a_marker_header_must_be_an_x_header() -> None:
    """Graph sends only X- custom headers, so the marker must be one."""
    [line] = problems(runtime={"marker_header": "Mailroom-Id"})
    assert line.startswith("runtime.marker_header: must be a header name that")


def test_a_route_without_tools_is_accepted_as_a_skip_rule() -> None:
    """`tools: []` is a documented route that records matching mail as skipped."""
    routes = [{"name": "quiet", "tools": []}, *BASE["routes"]]
    config = parse_config(yaml.safe_dump(BASE | {"routes": routes}))
    assert config.routes[0].tools == []


@pytest.mark.parametrize("project", ["help", "Help", "HELP DESK", "1HELP", ""])
def test_a_local_project_that_is_no_key_prefix_is_refused_at_load(
    project: str,
) -> None:
    """`project: help` is refused on reading, not when the tracker first opens."""
    trackers = {"local": {"kind": "local", "project": project}}
    [line] = problems(trackers=trackers)
    assert line.startswith("trackers.local.project: is not a key prefix")


def test_a_jira_project_name_instead_of_its_key_is_refused() -> None:
    """`project: Operations` is a name; Jira's keys are upper-case, as OPS."""
    jira = {
        "kind": "jira",
        "base_url": "https://jira.example.org",
        "project": "Operations",
        "email": "agent@example.org",
        "api_token": "token",
    }
    routes = [{"name": "everything", "tools": ["ops"]}]
    [line] = problems(trackers={"ops": jira}, routes=routes)
    assert line.startswith("trackers.ops.project: is not a Jira project key")
    valid = {**jira, "project": "OPS_2"}
    parse_config(yaml.safe_dump(BASE | {"trackers": {"ops": valid}, "routes": routes}))
