"""Steps every tool's tests take: deliver through outages, read errors, logs.

Each tool's test module calls these with its own adapter and fake, and
asserts what its tool should show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from mailroom.errors import RetryableError
from mailroom.models import CommentDraft, TicketRef
from mailroom.ports import Tracker
from tests.adapters.trackers.contract import Probe, attachment, draft

E = TypeVar("E", bound=Exception)

# What a ticket's life puts in the tool that no log line may carry.
MAIL_TEXTS = ("Scanner in room 12", "09:10", "ada.lindqvist", "Rebooted")


def deliver(tracker: Tracker, correlation_id: str) -> TicketRef:
    """Open a ticket the way the deliver stage does, retrying as its queue."""
    for _ in range(20):
        try:
            found = tracker.find_by_correlation(correlation_id)
            return found or tracker.create_ticket(draft(correlation_id))
        except RetryableError:
            continue
    raise AssertionError("the ticket never opened")


def keys_through_outage(tracker: Tracker, mails: int = 3) -> list[str]:
    """Return the keys of `mails` tickets delivered one after the other."""
    return [deliver(tracker, f"m-{n}").key for n in range(mails)]


def raised_by(call: Callable[[], object], error: type[E]) -> E:
    """Return the error of type `error` that `call` raises."""
    with pytest.raises(error) as caught:
        call()
    return caught.value


def event_recorded_twice(tracker: Tracker, probe: Probe) -> list[tuple[str, bool]]:
    """Record one event twice on a new ticket; return the ticket's comments."""
    key = tracker.create_ticket(draft()).key
    for _ in range(2):
        tracker.record_event(key, "acknowledgement-sent", {"message_id": "<a@b>"})
    return probe.comments(key)


def logs_of_a_ticket_life(
    connect: Callable[[], Tracker], caplog: pytest.LogCaptureFixture
) -> str:
    """Open a ticket, comment and attach at DEBUG; return all that was logged."""
    caplog.set_level("DEBUG")
    tracker = connect()
    key = tracker.create_ticket(draft(severity="Catastrophic")).key
    tracker.add_comment(key, CommentDraft(correlation_id="c", body="Rebooted it."))
    tracker.attach(key, attachment("scanner.log", b"x"), b"x")
    return logged_text(caplog)


def logged_text(caplog: pytest.LogCaptureFixture) -> str:
    """Return every captured log message with all of its fields."""
    return " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
