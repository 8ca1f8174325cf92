"""Reading a configuration: what is refused at start-up, and how it is said."""

from __future__ import annotations

from typing import Any, get_args

import pytest
import yaml
from pydantic import BaseModel

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


# One valid section of each remote kind; the tests below spoil one key.
TOOLS: dict[str, dict[str, Any]] = {
    "ops": {
        "kind": "jira",
        "base_url": "https://jira.example.org",
        "project": "OPS",
        "email": "agent@example.org",
        "api_token": "s3cr3t",
    },
    "sn": {
        "kind": "servicenow",
        "instance_url": "https://sn.example.org",
        "username": "mailroom",
        "password": "s3cr3t",
    },
    "boards": {
        "kind": "azure_devops",
        "organization_url": "https://devops.example.org/example-org",
        "project": "Support",
        "personal_access_token": "s3cr3t",
    },
    "ewm": {
        "kind": "ewm",
        "base_url": "https://ewm.example.org/ccm",
        "project_area": "Support",
    },
}
URL_KEYS = {"ops": "base_url", "sn": "instance_url", "boards": "organization_url"}
URL_KEYS["ewm"] = "base_url"


def tool_problems(name: str, **changes: Any) -> list[str]:
    """Return the problems of BASE with tool `name`, changed, beside local."""
    trackers = {"local": {"kind": "local"}, name: TOOLS[name] | changes}
    return problems(trackers=trackers)


def test_every_tool_is_valid_as_given() -> None:
    """The sections the tests spoil load as they are."""
    trackers = {"local": {"kind": "local"}} | TOOLS
    config = parse_config(yaml.safe_dump(BASE | {"trackers": trackers}))
    assert sorted(config.trackers) == ["boards", "ewm", "local", "ops", "sn"]


@pytest.mark.parametrize("name", sorted(URL_KEYS))
@pytest.mark.parametrize(
    "url", ["not a url", "ftp://tool.example.org", "tool.example.org", "https://"]
)
def test_a_tool_url_that_is_no_http_address_is_refused_at_load(
    name: str, url: str
) -> None:
    """Each kind's URL key must be an absolute http(s) address with a host."""
    [line] = tool_problems(name, **{URL_KEYS[name]: url})
    assert line == (
        f"trackers.{name}.{URL_KEYS[name]}: is not an absolute http:// or "
        "https:// address with a host; write it in full, starting with "
        "https:// and the host's name, as README.md's configuration "
        "reference shows"
    )


def test_a_tool_url_with_a_password_is_refused_without_echoing_it() -> None:
    """A user and password in the URL belong in the sign-in keys."""
    [line] = tool_problems("sn", instance_url="https://me:pa55@sn.example.org")
    assert line.startswith("trackers.sn.instance_url: holds a user, a query")
    assert "pa55" not in line


def test_every_url_key_of_every_kind_is_checked() -> None:
    """No tracker model has a *_url key that the load check leaves out."""
    from mailroom.config_trackers import (
        AzureDevOpsConfig,
        EwmConfig,
        JiraConfig,
        ServiceNowConfig,
    )
    from mailroom.config_values import WebUrl

    models: list[type[BaseModel]] = [
        JiraConfig,
        ServiceNowConfig,
        AzureDevOpsConfig,
        EwmConfig,
    ]
    for model in models:
        for key, field in model.model_fields.items():
            if key.endswith("_url"):
                assert field.metadata == list(get_args(WebUrl)[1:]), (model, key)


def test_a_graph_base_url_that_is_no_http_address_is_refused() -> None:
    """mail.graph.base_url is checked as a tool's URL is."""
    graph = {"tenant_id": "t", "client_id": "c", "base_url": "graph.example.org"}
    [line] = problems(mail={"kind": "graph", "graph": graph})
    assert line.startswith("mail.graph.base_url: is not an absolute http://")


def test_servicenow_token_and_password_together_are_refused_unquoted() -> None:
    """README: oauth_token instead of user and password, not both."""
    [line] = tool_problems("sn", oauth_token="t0ken")
    assert line == (
        "trackers.sn.oauth_token: is set together with username and password; "
        "ServiceNow signs in with a bearer token or with a user and password, "
        "not both, so remove the way the instance does not use"
    )
    assert "t0ken" not in line and "s3cr3t" not in line


def test_servicenow_token_alone_is_accepted() -> None:
    """A bearer token without user and password is one way to sign in."""
    section = TOOLS["sn"] | {"username": None, "password": None, "oauth_token": "t"}
    trackers = {"local": {"kind": "local"}, "sn": section}
    parse_config(yaml.safe_dump(BASE | {"trackers": trackers}))


@pytest.mark.parametrize(
    ("changes", "key", "start"),
    [
        ({"personal_access_token": "p"}, "personal_access_token", "is for Jira Data"),
        ({"deployment": "datacenter"}, "api_token", "is for Jira Cloud, but"),
    ],
)
def test_a_jira_token_of_the_other_deployment_is_refused(
    changes: dict[str, str], key: str, start: str
) -> None:
    """Cloud signs in with email and api_token, Data Center with its token."""
    [line] = tool_problems("ops", **changes)
    assert line.startswith(f"trackers.ops.{key}: {start}")


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"auth": "entra"}, "personal_access_token"),
        ({"managed_identity_client_id": "client-1"}, "managed_identity_client_id"),
    ],
)
def test_an_azure_devops_key_of_the_other_auth_is_refused(
    changes: dict[str, str], key: str
) -> None:
    """auth pat signs in with the token, auth entra with the managed identity."""
    [line] = tool_problems("boards", **changes)
    assert line.startswith(f"trackers.boards.{key}: ")
    assert "s3cr3t" not in line


@pytest.mark.parametrize(
    ("given", "missing"),
    [("hook_username", "hook_password"), ("hook_password", "hook_username")],
)
def test_half_an_azure_devops_hook_login_is_refused(given: str, missing: str) -> None:
    """Service hooks send both; one alone would refuse every hook call."""
    [line] = tool_problems("boards", **{given: "h00k"})
    assert line == (
        f"trackers.boards.{missing}: is missing while {given} is set; service "
        "hooks sign in with both, and without both every hook call is refused"
    )
    assert "h00k" not in line


def test_a_whole_azure_devops_hook_login_is_accepted() -> None:
    """User name and password together are the hook login."""
    section = TOOLS["boards"] | {"hook_username": "hooks", "hook_password": "h"}
    trackers = {"local": {"kind": "local"}, "boards": section}
    config = parse_config(yaml.safe_dump(BASE | {"trackers": trackers}))
    assert config.trackers["boards"].hook_username == "hooks"  # type: ignore[union-attr]


def test_the_new_users_trackers_report_every_problem_at_once() -> None:
    """A bad Jira URL and a ServiceNow with two ways are named in one reading."""
    jira = TOOLS["ops"] | {"base_url": "not a url"}
    sn = {
        "kind": "servicenow",
        "instance_url": "ftp://sn.example.com",
        "password": "p4ss",
        "oauth_token": "t0ken",
    }
    trackers = {"local": {"kind": "local"}, "ops": jira, "sn": sn}
    message = report(trackers=trackers)
    heading, *lines = message.splitlines()
    assert heading == "mailroom.yaml has 3 problem(s):"
    assert [line.split(":")[0].strip() for line in lines] == [
        "trackers.ops.base_url",
        "trackers.sn.instance_url",
        "trackers.sn.oauth_token",
    ]
    assert "p4ss" not in message and "t0ken" not in message


def test_a_section_given_twice_is_refused_with_both_lines() -> None:
    """A second trackers block no longer hides the first one."""
    text = (
        "mailboxes: [{address: helpdesk@example.org}]\n"
        "trackers:\n"
        "  local: {kind: local}\n"
        "routes: [{name: everything, tools: [local]}]\n"
        "trackers:\n"
        "  ops: {kind: local, project: OPS}\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        parse_config(text, "mailroom.yaml")
    assert str(caught.value) == (
        "mailroom.yaml is not valid YAML at line 5, column 1: the key "
        "'trackers' is given twice in one mapping, at lines 2 and 5; only one "
        "can count, so merge the two into one"
    )


def test_a_key_given_twice_deep_down_is_refused_without_its_values() -> None:
    """A repeated key inside a section is found too, its values unquoted."""
    text = "mailboxes: [{address: helpdesk@example.org}]\n" + (
        "runtime:\n"
        "  public_url: http://127.0.0.1:7071\n"
        "  marker_header: X-First-s3cr3t\n"
        "  marker_header: X-Second\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        parse_config(text, "mailroom.yaml")
    message = str(caught.value)
    assert "at line 5, column 3: the key 'marker_header' is given twice" in message
    assert "at lines 4 and 5" in message
    assert "s3cr3t" not in message


def test_every_repeated_key_of_a_file_is_reported_at_once() -> None:
    """A repeat deep down is named beside a later one at the top, in file order."""
    text = (
        "runtime:\n"
        "  public_url: http://127.0.0.1:7071\n"
        "trackers:\n"
        "  local:\n"
        "    kind: local\n"
        "    project: s3cr3t\n"
        "    project: HELP\n"
        "runtime: {}\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        parse_config(text, "mailroom.yaml")
    assert str(caught.value) == (
        "mailroom.yaml is not valid YAML: 2 keys are given more than once in "
        "one mapping: 'runtime' at lines 1 and 8; 'project' at lines 6 and 7; "
        "only one of each can count, so merge each into one"
    )


def test_a_key_given_three_times_names_each_line() -> None:
    """Three of one key are one problem listing the three lines."""
    text = "mailboxes: []\nmailboxes: []\nmailboxes: []\n"
    with pytest.raises(ConfigurationError) as caught:
        parse_config(text, "mailroom.yaml")
    assert str(caught.value) == (
        "mailroom.yaml is not valid YAML at line 2, column 1: the key "
        "'mailboxes' is given 3 times in one mapping, at lines 1, 2 and 3; only "
        "one can count, so merge them into one"
    )


def test_a_merged_key_may_be_set_again() -> None:
    """`<<: *defaults` then the same key is an override, not a repeat."""
    text = yaml.safe_dump(BASE) + (
        "defaults: &defaults {public_url: 'http://127.0.0.1:7071'}\n"
        "runtime: {<<: *defaults, public_url: 'http://127.0.0.1:7181'}\n"
    )
    with pytest.raises(ConfigurationError) as caught:
        parse_config(text, "mailroom.yaml")
    assert "defaults: is not a section of the configuration" in str(caught.value)
