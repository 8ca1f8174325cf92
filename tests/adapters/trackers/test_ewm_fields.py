"""Mail fields meet the attributes and allowed values of an EWM shape."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from adapters.trackers.ewm_fields import (
    Attribute,
    Choice,
    find_attribute,
    fit_value,
    json_name,
    parse_shape,
)
from mailroom.models import FieldProblem
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_ewm import ENUM, SHAPE, SHAPE_RDF, FakeEwm, connect

SEVERITY = Attribute(
    "http://open-services.net/ns/cm-x#severity", "severity", "Severity"
)
MAJOR = Choice(title="Major", value=f"{ENUM}/severity/s2", resource=True)


def test_one_invalid_value_is_reported_and_the_valid_ones_pass() -> None:
    """check_fields names the one value the shape does not allow."""
    tracker = connect(FakeEwm())
    problems = tracker.check_fields(draft(severity="Catastrophic", priority="High"))
    assert [(p.field, p.value) for p in problems] == [("severity", "Catastrophic")]
    assert "Severity" in problems[0].reason and "Major" in problems[0].reason


def test_an_invalid_value_is_left_out_and_listed_on_the_work_item() -> None:
    """The work item opens without the value and its description says why."""
    fake = FakeEwm()
    key = (
        connect(fake).create_ticket(draft(severity="Catastrophic", priority="Low")).key
    )
    assert fake.field(key, "severity") is None and fake.field(key, "priority") == "Low"
    assert "Catastrophic" in fake.items[1].resource["dcterms:description"]


def test_a_value_is_sent_as_the_enumeration_resource() -> None:
    """A title picks its literal; the work item holds the resource."""
    fake = FakeEwm()
    key = connect(fake).create_ticket(draft(severity="major")).key
    assert fake.items[1].resource["oslc_cmx:severity"] == {"rdf:resource": MAJOR.value}
    assert fake.field(key, "severity") == "Major"


def test_an_unmapped_field_finds_the_attribute_of_the_same_title() -> None:
    """With no field_map entry, `customer` goes to the Customer attribute."""
    fake = FakeEwm()
    connect(fake, field_map={}).create_ticket(draft(customer="Contoso"))
    assert fake.items[1].resource["rtc_ext:customer"] == "Contoso"


def test_a_field_the_shape_lacks_goes_into_the_description() -> None:
    """A Mailroom field with no attribute is text, not a problem."""
    fake = FakeEwm()
    tracker = connect(fake)
    tracker.create_ticket(draft(colour="teal"))
    assert tracker.check_fields(draft(colour="teal")) == []
    assert "colour: teal" in fake.items[1].resource["dcterms:description"]


def test_a_field_map_entry_naming_no_attribute_is_reported() -> None:
    """A mapping to an attribute the shape lacks is a problem, not a 400."""
    tracker = connect(FakeEwm(), field_map={"colour": "rtc_ext:colour"})
    [problem] = tracker.check_fields(draft(colour="teal"))
    assert problem.field == "colour" and "field_map" in problem.reason


def test_the_shape_and_value_titles_are_read_once_for_many_tickets() -> None:
    """Shapes and enumeration titles are cached between tickets."""
    fake = FakeEwm()
    tracker = connect(fake)
    for n in range(3):
        tracker.create_ticket(draft(f"m-{n}", severity="Major", priority="High"))
    reads = [str(r.url) for r in fake.requests if str(r.url).startswith(SHAPE)]
    assert reads == [SHAPE, f"{SHAPE}/priority"]


def test_the_shape_lists_attributes_with_inline_and_linked_values() -> None:
    """parse_shape reads names, titles, value types and allowed values."""
    attributes = {a.name: a for a in parse_shape(ET.fromstring(SHAPE_RDF))}
    assert len(attributes["severity"].allowed) == 3
    assert attributes["priority"].allowed_link == f"{SHAPE}/priority"
    assert not attributes["customer"].takes_resources


def test_a_prefixed_name_finds_its_attribute() -> None:
    """`oslc_cmx:severity` points at the cm-x severity definition."""
    assert find_attribute("oslc_cmx:severity", [SEVERITY]) is SEVERITY
    assert json_name(SEVERITY.definition) == "oslc_cmx:severity"


def test_a_resource_attribute_without_values_cannot_take_text() -> None:
    """Text for a link attribute with no listed values is a problem."""
    owner = Attribute(SEVERITY.definition, "owner", "Owned By", takes_resources=True)
    outcome = fit_value("owner", "Ben", owner, [])
    assert isinstance(outcome, FieldProblem) and "link" in outcome.reason


def test_fit_value_matches_titles_without_case() -> None:
    """A title matches whatever its case."""
    expected = ("oslc_cmx:severity", {"rdf:resource": MAJOR.value})
    assert fit_value("severity", "MAJOR", SEVERITY, [MAJOR]) == expected
