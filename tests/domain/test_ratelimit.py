"""Rate limits on acknowledgements per sender and per thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailroom.ratelimit import RateDecision, allow_acknowledgement, recent

NOW = datetime(2025, 3, 3, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _minutes_ago(*minutes: int) -> list[datetime]:
    """Return times the given numbers of minutes before NOW."""
    return [NOW - timedelta(minutes=m) for m in minutes]


def _allow(sender: list[datetime], thread: list[datetime]) -> RateDecision:
    """Ask with limits of 3 per sender and 2 per thread an hour."""
    return allow_acknowledgement(
        sender, thread, NOW, per_sender_limit=3, per_thread_limit=2, window=HOUR
    )


def test_first_acknowledgement_is_allowed() -> None:
    """With no history, the acknowledgement goes out."""
    assert _allow([], []).allowed is True


def test_sender_at_the_limit_gets_no_more() -> None:
    """The sender's limit stops the next acknowledgement, saying so."""
    decision = _allow(_minutes_ago(5, 10, 50), [])

    assert decision.allowed is False
    assert decision.reason.startswith("the sender got 3")


def test_thread_at_the_limit_gets_no_more() -> None:
    """The thread's limit stops the next acknowledgement, saying so."""
    decision = _allow([], _minutes_ago(1, 2))

    assert decision.allowed is False
    assert decision.reason.startswith("the thread got 2")


def test_old_acknowledgements_do_not_count() -> None:
    """Only the window before now counts."""
    assert _allow(_minutes_ago(61, 90, 300), _minutes_ago(60, 120)).allowed is True


def test_times_ahead_of_now_count() -> None:
    """A clock running ahead does not open a gap for a loop."""
    assert _allow([], _minutes_ago(-1, -2)).allowed is False


def test_recent_trims_a_history_and_reads_naive_times_as_utc() -> None:
    """The history to keep holds only the window, zone or not."""
    naive = datetime(2025, 3, 3, 11, 30)

    assert recent([naive, *_minutes_ago(90)], NOW, HOUR) == [naive]
