"""Routing rules: criteria, first match, fan-out and bad patterns."""

from __future__ import annotations

from typing import Any

import pytest

from mailroom.config import Criteria, RouteConfig
from mailroom.models import Address, Attachment
from mailroom.routing import check_routes, choose_route
from tests.domain.mailfactory import make_mail

HELPDESK = "helpdesk@example.org"


def _route(
    name: str, tools: list[str], go_on: bool = False, **match: Any
) -> RouteConfig:
    """Build a route with the given criteria."""
    return RouteConfig(
        name=name, match=Criteria(**match), tools=tools, continue_matching=go_on
    )


def _file(inline: bool) -> Attachment:
    """Return an attachment, inline or not."""
    return Attachment(
        filename="a.png", content_type="image/png", size=1, sha256="0", inline=inline
    )


MATCHING = [
    ({"mailbox": ["HELPDESK@*"]}, {}),
    ({"sender": ["*@EXAMPLE.com"]}, {}),
    ({"sender_domain": ["example.*"]}, {}),
    ({"recipient": ["it@*"]}, {"cc": [Address(email="it@example.org")]}),
    ({"subject": r"printer\s+on"}, {"subject": "PRINTER on floor 3"}),
    ({"body": "^urgent"}, {"text_body": "hello\nUrgent: yes"}),
    ({"importance": ["high"]}, {"importance": "high"}),
    ({"has_attachments": True}, {"attachments": [_file(inline=False)]}),
    ({"has_attachments": False}, {"attachments": [_file(inline=True)]}),
    ({"headers": {"X-Source": "^crm"}}, {"headers": {"x-source": "CRM-7"}}),
]


@pytest.mark.parametrize(("match", "mail"), MATCHING)
def test_each_criterion_matches(match: dict[str, Any], mail: dict[str, Any]) -> None:
    """Each criterion alone selects the mail it describes."""
    decision = choose_route(
        make_mail(**mail), HELPDESK, [_route("r", ["jira"], **match)]
    )

    assert (decision.route, decision.tools) == ("r", ["jira"])


@pytest.mark.parametrize(
    "match",
    [
        {"mailbox": ["sales@*"]},
        {"sender": ["boss@*"]},
        {"sender_domain": ["example.net"]},
        {"recipient": ["it@*"]},
        {"subject": "invoice"},
        {"body": "urgent"},
        {"importance": ["high", "low"]},
        {"has_attachments": True},
        {"headers": {"X-Source": "crm"}},
    ],
)
def test_each_criterion_can_refuse(match: dict[str, Any]) -> None:
    """Each criterion alone turns away a plain mail that does not fit."""
    decision = choose_route(make_mail(), HELPDESK, [_route("r", ["jira"], **match)])

    assert (decision.route, decision.tools) == (None, [])


def test_every_criterion_must_hold() -> None:
    """A route matches only when all its criteria hold."""
    route = _route("r", ["jira"], sender_domain=["example.com"], importance=["high"])

    assert choose_route(make_mail(), HELPDESK, [route]).route is None


def test_first_match_wins() -> None:
    """Routes after the first match are not consulted."""
    routes = [_route("a", ["jira"]), _route("b", ["snow"])]
    decision = choose_route(make_mail(), HELPDESK, routes)

    assert (decision.route, decision.tools) == ("a", ["jira"])


def test_a_route_without_tools_skips_what_it_matches() -> None:
    """A tool-less route stops the search, and the reason says it has no tool."""
    routes = [_route("quiet", [], sender_domain=["example.com"]), _route("b", ["x"])]
    decision = choose_route(make_mail(), HELPDESK, routes)

    assert (decision.route, decision.tools) == ("quiet", [])
    assert decision.reason == "matched 'quiet', with no tool to send to"


def test_continue_matching_fans_out_without_duplicates() -> None:
    """A route that goes on adds its tools to the next match's, once each."""
    routes = [
        _route("audit", ["jira", "snow"], go_on=True),
        _route("skipped", ["ado"], go_on=True, subject="nothing like it"),
        _route("main", ["jira", "rtc"]),
        _route("late", ["ado"]),
    ]
    decision = choose_route(make_mail(), HELPDESK, routes)

    assert decision.tools == ["jira", "snow", "rtc"]
    assert decision.reason == "matched 'audit', 'main'"


def test_no_match_says_so() -> None:
    """Without a match there is no route, no tool, and a reason."""
    decision = choose_route(make_mail(), HELPDESK, [])

    assert (decision.route, decision.tools) == (None, [])
    assert decision.reason


def test_bad_pattern_never_matches() -> None:
    """A pattern that does not compile matches nothing instead of failing."""
    route = _route("r", ["jira"], subject="(unclosed")

    assert choose_route(make_mail(), HELPDESK, [route]).route is None


def test_check_routes_names_each_bad_pattern() -> None:
    """Every bad pattern is reported with the route and the key that hold it."""
    routes = [
        _route("fine", ["jira"], subject="ok"),
        _route("broken", ["jira"], body="[a-", headers={"X-A": "*x"}),
    ]
    problems = check_routes(routes)

    assert len(problems) == 2
    assert problems[0].startswith("routes[1] ('broken').match.body ")
    assert problems[1].startswith("routes[1] ('broken').match.headers.X-A ")
