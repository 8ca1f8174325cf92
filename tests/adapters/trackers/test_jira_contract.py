"""Jira Cloud and Jira Data Center pass the tracker contract."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.adapters.trackers.contract import CONTRACT, TrackerUnderTest
from tests.adapters.trackers.fake_jira import FakeJira, JiraProbe, connect, section


@pytest.mark.parametrize("deployment", ["cloud", "datacenter"])
@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_jira_contract(
    check: Callable[[TrackerUnderTest], None], deployment: str
) -> None:
    """Each contract check holds for Jira over its REST API."""
    jira = FakeJira(deployment)
    probe = JiraProbe(jira, section(deployment).field_map)
    check(TrackerUnderTest(connect(jira), probe, "severity", "High"))
