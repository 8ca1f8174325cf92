"""The local tracker passes the tracker contract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.trackers.local import LocalTracker
from tests.adapters.trackers.contract import CONTRACT, TrackerUnderTest


class LocalProbe:
    """Read the local tracker through its own views."""

    def __init__(self, tracker: LocalTracker) -> None:
        self.tracker = tracker

    def _view(self, key: str):  # type: ignore[no-untyped-def]
        view = self.tracker.get_ticket(key)
        assert view is not None
        return view

    def summary(self, key: str) -> str:
        """Return a ticket's summary."""
        return str(self._view(key).summary)

    def comments(self, key: str) -> list[tuple[str, bool]]:
        """Return (text, public) per comment."""
        return [(c.body, c.public) for c in self._view(key).comments]

    def files(self, key: str) -> list[tuple[str, bytes]]:
        """Return (name, bytes) per file."""
        names = [a.filename for a in self._view(key).attachments]
        return [(n, self.tracker.attachment_bytes(key, n)) for n in names]

    def links(self, key: str) -> list[str]:
        """Return linked keys."""
        return [link.other_key for link in self._view(key).links]

    def field(self, key: str, name: str) -> str | None:
        """Return a field's value."""
        value = self._view(key).fields.get(name)
        return None if value is None else str(value)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_local_tracker_contract(
    check: Callable[[TrackerUnderTest], None], tmp_path: Path
) -> None:
    """Each contract check holds for the local tracker."""
    tracker = LocalTracker(tmp_path / "t.sqlite3", tmp_path / "files", "http://x")
    check(TrackerUnderTest(tracker, LocalProbe(tracker), "severity", "High"))
