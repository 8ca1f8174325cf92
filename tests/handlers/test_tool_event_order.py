"""Status changes that arrive out of order: the newest one stays recorded."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlers.tool_events import HANDLED, handle_tool_event
from mailroom.config import LocalTrackerConfig
from mailroom.tool_events import ToolEvent
from tests.handlers.test_tool_events import request_mail
from tests.pipeline import Pipeline, pipeline_config

NOW = datetime(2024, 5, 27, 9, 0, tzinfo=UTC)


def status(event_id: str, name: str, seconds: int) -> ToolEvent:
    """Return a status change of HELP-1 made `seconds` after NOW."""
    return ToolEvent(
        tool="local",
        kind="status",
        ticket_key="HELP-1",
        event_id=event_id,
        status=name,
        changed_at=NOW + timedelta(seconds=seconds),
    )


def pipeline(tmp_path: Path) -> Pipeline:
    """Return a pipeline that mails status changes, with HELP-1 from a mail."""
    trackers = {"local": LocalTrackerConfig(notify_status=True)}
    started = Pipeline(tmp_path, pipeline_config(trackers=trackers))
    started.deliver(request_mail())
    return started


def notices(p: Pipeline) -> list[str]:
    """Return the status lines of the mails sent about status changes."""
    bodies = [m.get_content() for m in p.sent()]
    return [b.splitlines()[0] for b in bodies if b.startswith("The status")]


def test_an_older_change_arriving_late_is_neither_applied_nor_mailed(
    tmp_path: Path,
) -> None:
    """Done at +20 s, then In Progress at +15 s: the ticket stays closed."""
    p = pipeline(tmp_path)
    handle_tool_event(status("s-done", "Done", 20), p.services)
    handle_tool_event(status("s-late", "In Progress", 15), p.services)

    state = p.ledger.ticket_state("local", "HELP-1")
    assert (state.closed, state.status) == (True, "Done")
    assert state.status_at == NOW + timedelta(seconds=20)
    assert notices(p) == ["The status of this ticket is now: Done."]
    record = p.services.store.get(HANDLED, "local|s-late")
    assert record is not None
    assert (record["outcome"], record["reason"]) == (
        "stale",
        "older-than-recorded-status",
    )


def test_changes_in_order_are_each_applied_and_mailed(tmp_path: Path) -> None:
    """Done, then a newer In Progress: the ticket is open again."""
    p = pipeline(tmp_path)
    handle_tool_event(status("s-done", "Done", 20), p.services)
    handle_tool_event(status("s-reopen", "In Progress", 25), p.services)

    assert not p.ledger.ticket_state("local", "HELP-1").closed
    assert notices(p) == [
        "The status of this ticket is now: Done.",
        "The status of this ticket is now: In Progress.",
    ]


def test_the_stale_event_s_log_line_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The unit-of-work line carries the outcome and its reason."""
    p = pipeline(tmp_path)
    handle_tool_event(status("s-done", "Done", 20), p.services)
    with caplog.at_level(logging.INFO):
        handle_tool_event(status("s-late", "In Progress", 15), p.services)
    [line] = [r for r in caplog.records if r.getMessage() == "tool_events.event"]
    assert (line.outcome, line.reason) == ("stale", "older-than-recorded-status")
