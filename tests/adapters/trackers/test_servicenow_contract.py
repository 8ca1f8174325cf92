"""The ServiceNow adapter passes the tracker contract against the fake instance."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.adapters.trackers.contract import CONTRACT, TrackerUnderTest
from tests.adapters.trackers.fake_servicenow import (
    FakeServiceNow,
    ServiceNowProbe,
    tracker,
)


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_servicenow_contract(check: Callable[[TrackerUnderTest], None]) -> None:
    """Each contract check holds for ServiceNow on incident."""
    fake = FakeServiceNow()
    probe = ServiceNowProbe(fake)
    check(TrackerUnderTest(tracker(fake), probe, "category", "network", 160))


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_servicenow_contract_on_another_table(
    check: Callable[[TrackerUnderTest], None],
) -> None:
    """Each contract check holds on a task table without parent_incident."""
    fake = FakeServiceNow(tables=("sc_task",))
    probe = ServiceNowProbe(fake, table="sc_task")
    under = TrackerUnderTest(tracker(fake, table="sc_task"), probe, "urgency", "2", 160)
    check(under)
