"""The local host serves the FunctionApp's own registrations."""

from __future__ import annotations

from urllib.parse import quote_plus

import httpx
import pytest

from runtime.local_host import LocalHost, parse_timespan, route_pattern
from runtime.registrations import read_registrations
from runtime.session import load_app
from tests.cases import case_json

pytestmark = pytest.mark.slow


def test_registrations_come_from_the_app() -> None:
    """Every trigger of function_app.py is read, none listed twice."""
    kinds = {r.name: r.trigger for r in read_registrations(load_app())}
    assert kinds == {
        "notifications": "httpTrigger",
        "lifecycle": "httpTrigger",
        "tool_events": "httpTrigger",
        "tool_events_worker": "queueTrigger",
        "ingest": "queueTrigger",
        "deliver": "queueTrigger",
        "acknowledge": "queueTrigger",
        "lifecycle_worker": "queueTrigger",
        "renew_subscriptions_timer": "timerTrigger",
        "catch_up_timer": "timerTrigger",
    }


def test_host_json_timespans_are_read() -> None:
    """host.json time spans become seconds."""
    assert parse_timespan("00:01:30") == 90.0


@pytest.mark.parametrize("route", ["notifications", "lifecycle"])
def test_validation_is_echoed_over_http(host: LocalHost, route: str) -> None:
    """Case 14 over a real socket: 200, text/plain, the token unchanged."""
    expected = case_json("14-graph-validation-token", "expected.json")["results"]
    token = expected["validation-request.json"]["body_exact"]
    url = f"{host.url}/api/{route}?validationToken={quote_plus(token)}"
    response = httpx.post(url, content=b"", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == token


def test_forged_notification_gets_202_and_enqueues_nothing(host: LocalHost) -> None:
    """Case 14's ordinary notification carries a clientState we never issued."""
    body = case_json("14-graph-validation-token", "ordinary-notification.json")["body"]
    response = httpx.post(f"{host.url}/api/notifications", json=body, timeout=10)
    assert response.status_code == 202
    assert host.queues.depth("mail-changes") == 0


def test_unknown_paths_get_404(host: LocalHost) -> None:
    """Nothing but the app's routes and the tracker pages is served."""
    assert httpx.get(f"{host.url}/api/nothing", timeout=10).status_code == 404
    assert httpx.get(f"{host.url}/tracker/NOPE-1", timeout=10).status_code == 404


def test_route_templates_match_and_capture() -> None:
    """`tool-events/{tool}` serves /api/tool-events/jira with tool=jira."""
    match = route_pattern("tool-events/{tool}").fullmatch("/api/tool-events/jira")
    assert match is not None and match.groupdict() == {"tool": "jira"}
    assert route_pattern("tool-events/{tool}").fullmatch("/api/tool-events/") is None


def test_a_webhook_for_a_tool_without_one_gets_404(host: LocalHost) -> None:
    """The local tracker takes no webhooks; nothing is queued."""
    response = httpx.post(
        f"{host.url}/api/tool-events/local", content=b"{}", timeout=10
    )
    assert response.status_code == 404
    assert host.queues.depth("tool-events") == 0
