"""Mail fields meet the allowed values of the Azure DevOps work item type."""

from __future__ import annotations

import json

from adapters.trackers.azure_devops_fields import (
    FieldRule,
    fit_value,
    parse_field_rules,
)
from mailroom.models import FieldProblem
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_azure_devops import FakeAzureDevOps, connect

SEVERITY = FieldRule("Microsoft.VSTS.Common.Severity", "Severity", ("2 - High",))


def test_one_invalid_value_is_reported_and_the_valid_ones_pass() -> None:
    """check_fields names the one value the type does not allow."""
    tracker = connect(FakeAzureDevOps())
    problems = tracker.check_fields(draft(severity="Catastrophic", priority="2"))
    assert [(p.field, p.value) for p in problems] == [("severity", "Catastrophic")]
    assert "Severity" in problems[0].reason and "2 - High" in problems[0].reason


def test_an_invalid_value_is_left_out_and_listed_on_the_work_item() -> None:
    """The work item opens without the value and its description says why."""
    fake = FakeAzureDevOps()
    key = connect(fake).create_ticket(draft(severity="Catastrophic", priority="2")).key
    assert fake.field(key, "severity") is None and fake.field(key, "priority") == "2"
    assert "Catastrophic" in fake.items[1].fields["System.Description"]


def test_a_value_is_sent_as_azure_devops_spells_it() -> None:
    """Allowed values match without regard to case."""
    fake = FakeAzureDevOps()
    key = connect(fake).create_ticket(draft(severity="2 - HIGH")).key
    assert fake.field(key, "severity") == "2 - High"


def test_an_unmapped_field_finds_the_field_of_the_same_display_name() -> None:
    """With no field_map entry, `severity` goes to the Severity field."""
    fake = FakeAzureDevOps()
    key = connect(fake, field_map={}).create_ticket(draft(severity="4 - Low")).key
    assert fake.items[1].fields["Microsoft.VSTS.Common.Severity"] == "4 - Low"
    assert key == "AB#1"


def test_a_field_the_type_lacks_goes_into_the_description() -> None:
    """A Mailroom field with no field in the type is text, not a problem."""
    fake = FakeAzureDevOps()
    tracker = connect(fake)
    tracker.create_ticket(draft(colour="teal"))
    assert tracker.check_fields(draft(colour="teal")) == []
    assert "colour: teal" in fake.items[1].fields["System.Description"]


def test_a_field_map_entry_naming_no_field_is_reported() -> None:
    """A mapping to a field the type lacks is a problem, not a 400."""
    tracker = connect(FakeAzureDevOps(), field_map={"colour": "Custom.Colour"})
    [problem] = tracker.check_fields(draft(colour="teal"))
    assert problem.field == "colour" and "field_map" in problem.reason


def test_allowed_values_are_read_once_for_many_tickets() -> None:
    """The type's fields are cached between tickets."""
    fake = FakeAzureDevOps()
    tracker = connect(fake)
    for n in range(3):
        tracker.create_ticket(draft(f"m-{n}", severity="2 - High"))
    reads = [r for r in fake.requests if r.url.path.endswith("/fields")]
    assert len(reads) == 1 and reads[0].url.params["$expand"] == "allowedValues"


def test_mapped_tags_join_the_correlation_tag() -> None:
    """A value mapped to System.Tags is added beside Mailroom's tag."""
    fake = FakeAzureDevOps()
    connect(fake, field_map={"labels": "System.Tags"}).create_ticket(
        draft("m-3", labels="vpn; printer")
    )
    assert fake.items[1].fields["System.Tags"] == "mailroom-m-3; vpn; printer"


def test_fit_value_takes_free_text_where_no_values_are_listed() -> None:
    """A field without allowed values takes any text."""
    rules = {"custom.note": FieldRule("Custom.Note", "Note")}
    assert fit_value("note", "anything", "custom.note", rules) == (
        "Custom.Note",
        "anything",
    )


def test_fit_value_reports_a_value_outside_the_list() -> None:
    """A value outside the allowed list becomes a problem."""
    outcome = fit_value("severity", "Low", "severity", {"severity": SEVERITY})
    assert isinstance(outcome, FieldProblem) and outcome.value == "Low"


def test_field_rules_are_found_by_reference_and_display_name() -> None:
    """Both names of a field lead to the same rule."""
    payload = {"value": [{"referenceName": "System.State", "name": "State"}]}
    rules = parse_field_rules(json.loads(json.dumps(payload)))
    assert rules["state"] is rules["system.state"]
