"""Typed field values: choices, numbers, dates, users and lists."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from mailroom.config import FieldMapConfig
from mailroom.field_values import fit_value
from mailroom.models import TicketFields

CONFIG = FieldMapConfig(
    types={
        "environment": "choice",
        "users_affected": "number",
        "due_date": "date",
        "assignee": "user",
        "products": "multi",
        "labels": "multi",
    },
    allowed_values={
        "environment": ["Production", "Qualitätssicherung", "Test"],
        "products": ["VPN", "Mail", "Printing"],
    },
)


def _fit(field: str, value: str, **changes: Any) -> TicketFields:
    """Fit one value with the test configuration, changed as given."""
    return fit_value(field, value, CONFIG.model_copy(update=changes))


@pytest.mark.parametrize(
    ("field", "written", "stored"),
    [
        ("environment", "production", "Production"),
        ("environment", "QUALITATSSICHERUNG", "Qualitätssicherung"),
        ("users_affected", "12", "12"),
        ("users_affected", "+3", "3"),
        ("users_affected", "1,5", "1.5"),
        ("users_affected", "-0.25", "-0.25"),
        ("due_date", "3.12.2026", "2026-12-03"),
        ("due_date", "3 Dec 2026", "2026-12-03"),
        ("assignee", "ann@Example.COM", "ann@example.com"),
        ("assignee", "Ann Example <ann@example.com>", "ann@example.com"),
        ("assignee", "ann@example.com <mailto:ann@example.com>", "ann@example.com"),
        ("products", "vpn; mail", "VPN, Mail"),
        ("products", "Mail, mail,, VPN", "Mail, VPN"),
        ("labels", "urgent ;  floor 3", "urgent, floor 3"),
        ("notes", "anything at all", "anything at all"),
    ],
)
def test_good_values_convert(field: str, written: str, stored: str) -> None:
    """A value that fits its type is stored in its canonical form."""
    assert _fit(field, written) == TicketFields(values={field: stored})


@pytest.mark.parametrize(
    ("field", "written", "named"),
    [
        ("environment", "staging", "Production, Qualitätssicherung, Test"),
        ("users_affected", "six", "such as 12, 1.5 or 1,5"),
        ("users_affected", "1.500,5", "such as 12, 1.5 or 1,5"),
        ("due_date", "tomorrow", "2026-12-31, 31.12.2026, 31/12/2026"),
        ("due_date", "31.02.2026", "31 Dec 2026"),
        ("assignee", "Ann Example", "Name <name@example.com>"),
        ("assignee", "ann@example.com, bob@example.com", "one email address"),
        ("labels", " , ;", "separated by commas or semicolons"),
    ],
)
def test_bad_values_are_problems_naming_what_fits(
    field: str, written: str, named: str
) -> None:
    """A value that fits no type or choice is reported with what would fit."""
    fitted = _fit(field, written)

    assert fitted.values == {}
    assert [(p.field, p.value) for p in fitted.problems] == [(field, written)]
    assert named in fitted.problems[0].reason


def test_a_list_keeps_its_good_items_and_reports_each_bad_one() -> None:
    """Items outside the choices are problems; the others are still set."""
    fitted = _fit("products", "VPN, Fax, Mail, Telex")

    assert fitted.values == {"products": "VPN, Mail"}
    assert [p.value for p in fitted.problems] == ["Fax", "Telex"]


def test_date_problem_shows_the_month_first_order_when_configured() -> None:
    """The expected format follows `date_order`."""
    fitted = _fit("due_date", "someday", date_order="mdy")

    assert "12/31/2026" in fitted.problems[0].reason


def test_a_number_can_have_allowed_values_too() -> None:
    """A converted value is still checked against the field's choices."""
    config = {"allowed_values": {"users_affected": ["1", "2"]}}

    assert _fit("users_affected", "3", **config).problems[0].value == "3"
    assert _fit("users_affected", "+2", **config).values == {"users_affected": "2"}


def test_a_choice_without_choices_takes_any_value() -> None:
    """A choice field with no allowed values behaves as text."""
    assert _fit("category", "Hardware", types={"category": "choice"}).values == {
        "category": "Hardware"
    }


def test_every_configurable_type_converts() -> None:
    """Each type that the configuration accepts has a conversion."""
    annotation = FieldMapConfig.model_fields["types"].annotation
    kinds = get_args(get_args(annotation)[1])

    for kind in kinds:
        fitted = _fit("f", "1", types={"f": kind})
        assert fitted.values or fitted.problems
