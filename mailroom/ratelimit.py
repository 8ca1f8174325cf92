"""Rate limits on acknowledgements, the last guard against mail loops.

An autoresponder that slips past every header check still gets only a few
answers: so many per sender and so many per thread within a time window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailroom.models import Model


class RateDecision(Model):
    """Whether an acknowledgement may go out, and why."""

    allowed: bool
    reason: str


def allow_acknowledgement(
    sender_history: list[datetime],
    thread_history: list[datetime],
    now: datetime,
    *,
    per_sender_limit: int,
    per_thread_limit: int,
    window: timedelta,
) -> RateDecision:
    """Decide whether one more acknowledgement fits both limits at `now`.

    The histories hold when earlier acknowledgements went to the same
    sender and on the same thread; only those within `window` before `now`
    count. A time after `now` counts too, as a clock may run ahead.
    """
    minutes = f"{window.total_seconds() / 60:g} minutes"
    sent = len(recent(sender_history, now, window))
    if sent >= per_sender_limit:
        reason = f"the sender got {sent} acknowledgements in {minutes}"
        return _denied(reason, per_sender_limit)

    on_thread = len(recent(thread_history, now, window))
    if on_thread >= per_thread_limit:
        reason = f"the thread got {on_thread} acknowledgements in {minutes}"
        return _denied(reason, per_thread_limit)
    return RateDecision(allowed=True, reason="within both acknowledgement limits")


def recent(history: list[datetime], now: datetime, window: timedelta) -> list[datetime]:
    """Return the times of `history` that fall within `window` before `now`.

    A history trimmed this way before it is stored stays short.
    """
    start = _aware(now) - window
    return [moment for moment in history if _aware(moment) > start]


def _denied(reason: str, limit: int) -> RateDecision:
    """Refuse an acknowledgement, naming the limit it would pass."""
    return RateDecision(allowed=False, reason=f"{reason}; the limit is {limit}")


def _aware(moment: datetime) -> datetime:
    """Read a time without a zone as UTC, so that any two compare."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
