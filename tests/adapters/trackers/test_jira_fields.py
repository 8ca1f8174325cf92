"""Mapped fields are checked against Jira's create metadata before a create."""

from __future__ import annotations

import pytest

from adapters.trackers.jira_fields import JiraField, fit_fields, shape
from mailroom.errors import PermanentError
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_jira import FakeJira, connect, flatten

PRIORITY = JiraField("priority", "Priority", "priority", allowed=("High", "Low"))
LABELS = JiraField("labels", "Labels", "array", "string")


def test_an_invalid_value_is_reported_and_not_sent() -> None:
    """Priority 'Urgent' stays out of the create and is named in the text."""
    jira = FakeJira()
    key = connect(jira).create_ticket(draft(severity="Urgent", site="Oslo")).key
    fields = jira.issues[key]["fields"]
    assert "priority" not in fields
    assert fields["customfield_10050"] == {"value": "Oslo"}
    assert "severity = Urgent: not one of Jira's Priority values: Highest, High" in (
        flatten(fields["description"])
    )


def test_check_fields_tells_the_handler_what_jira_would_refuse() -> None:
    """The same problems are offered for the acknowledgement."""
    problems = connect(FakeJira()).check_fields(draft(severity="urgent", site="Rome"))
    assert [(p.field, p.value) for p in problems] == [
        ("severity", "urgent"),
        ("site", "Rome"),
    ]
    assert problems[1].reason == "not one of Jira's Site values: Berlin, Oslo"


def test_create_metadata_is_read_once_per_tracker() -> None:
    """Two creates ask Jira for its create screen only once."""
    jira = FakeJira("datacenter")
    tracker = connect(jira)
    tracker.create_ticket(draft("m-1", severity="High"))
    tracker.create_ticket(draft("m-2", severity="Low"))
    asked = [r for r in jira.requests if "/createmeta/" in r.url.path]
    assert len(asked) == 2  # the issue types, then the fields of Task


def test_nothing_mapped_needs_no_create_metadata() -> None:
    """A draft without mapped fields goes straight to the create."""
    jira = FakeJira()
    connect(jira).create_ticket(draft(colour="blue"))
    assert [r.url.path for r in jira.requests] == ["/rest/api/3/issue"]
    assert "colour: blue" in flatten(jira.issues["HELP-1"]["fields"]["description"])


def test_components_keep_the_valid_items_and_report_the_rest() -> None:
    """A list field is fitted item by item, in Jira's spelling."""
    jira = FakeJira()
    key = connect(jira).create_ticket(draft(parts="printers; Toner")).key
    assert jira.issues[key]["fields"]["components"] == [{"name": "Printers"}]
    assert "parts = Toner" in flatten(jira.issues[key]["fields"]["description"])


def test_a_field_missing_from_the_create_screen_is_reported() -> None:
    """A field map naming a field Jira does not offer reports the value."""
    tracker = connect(FakeJira(), field_map={"team": "customfield_99999"})
    (problem,) = tracker.check_fields(draft(team="Blue"))
    assert problem.value == "Blue"
    assert "no field 'customfield_99999'" in problem.reason


def test_an_unknown_issue_type_names_the_setting() -> None:
    """The error lists the project's issue types and the key to change."""
    tracker = connect(FakeJira(), issue_type="Incident")
    with pytest.raises(PermanentError, match=r"trackers\.jira\.issue_type.*Task, Bug"):
        tracker.create_ticket(draft(severity="High"))


@pytest.mark.parametrize(
    ("jira_field", "raw", "sent"),
    [
        (PRIORITY, "high", {"name": "High"}),
        (LABELS, "vip, night shift", ["vip", "night-shift"]),
        (JiraField("customfield_1", "Hours", "number"), "3,5", 3.5),
        (JiraField("customfield_2", "Tag", "string"), " A-17 ", "A-17"),
    ],
)
def test_values_take_the_shape_jira_expects(
    jira_field: JiraField, raw: str, sent: object
) -> None:
    """Priority by name, labels without spaces, numbers, plain strings."""
    assert shape("x", raw, jira_field) == (sent, [])


def test_a_field_mailroom_cannot_fill_is_reported() -> None:
    """A user picker is not guessed from mail text."""
    value, problems = shape("owner", "ada", JiraField("assignee", "Assignee", "user"))
    assert value is None
    assert (
        problems[0].reason == "Jira's Assignee field (user) cannot be filled from mail"
    )


def test_fit_fields_without_a_map_carries_every_field() -> None:
    """Unmapped fields travel in the description, never silently dropped."""
    fitted = fit_fields({"severity": "High"}, {}, None)
    assert fitted.carried == {"severity": "High"} and not fitted.values
