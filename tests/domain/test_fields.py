"""Field extraction from body lines and importance."""

from __future__ import annotations

from typing import Any

import pytest

from mailroom.config import FieldMapConfig
from mailroom.fields import MAX_VALUE_LENGTH, check_field_map, extract_fields
from mailroom.models import Importance
from tests.domain.mailfactory import make_mail

CONFIG = FieldMapConfig(
    body_keys={
        "Component": "component",
        "Environment": "environment",
        "Asset Tag": "asset",
    },
    allowed_values={"environment": ["Production", "Test"]},
)


def _values(body: str, config: FieldMapConfig = CONFIG) -> dict[str, str]:
    """Return the fields taken from a body, without importance."""
    plain = config.model_copy(update={"importance_field": None})
    return extract_fields(make_mail(text_body=body), plain).values


def test_colon_and_equals_lines_become_fields() -> None:
    """`Key: Value` and `Key = Value` lines map to their fields."""
    body = "Hello,\n\nComponent: Storage\nEnvironment = production\n\nJörg\n"

    assert _values(body) == {"component": "Storage", "environment": "Production"}


def test_keys_match_whatever_their_case_and_spacing() -> None:
    """Labels are matched case-insensitively, with spacing normalized."""
    assert _values("  asset   TAG :  LT-0042  \n") == {"asset": "LT-0042"}


def test_unknown_keys_and_prose_are_ignored() -> None:
    """Lines whose key is not configured, and URLs, give nothing."""
    body = "Note: call me\nhttps://example.org/a=b\nTime 10:30\n"

    assert _values(body) == {}


def test_quoted_history_is_not_read() -> None:
    """Lines after the start of quoted history are not the writer's."""
    for marker in (
        "> Component: Old",
        "-----Original Message-----\nComponent: Old",
        "On Mon, 1 Dec 2026, Ann wrote:\nComponent: Old",
        "From: Ann\nSent: Monday\nComponent: Old",
        "Von: Ann\nGesendet: Montag\nComponent: Old",
    ):
        assert _values(f"Thanks\n{marker}\n") == {}


def test_the_first_value_for_a_field_wins() -> None:
    """A key given twice keeps its first value."""
    assert _values("Component: Storage\nComponent: Network\n") == {
        "component": "Storage"
    }


def test_value_outside_the_allowed_list_is_a_problem() -> None:
    """A value not allowed for its field is reported, not set."""
    fields = extract_fields(make_mail(text_body="Environment: staging\n"), CONFIG)

    assert "environment" not in fields.values
    assert fields.problems[0].field == "environment"
    assert "Production, Test" in fields.problems[0].reason


def test_too_long_value_is_a_problem() -> None:
    """A value longer than the limit is reported, not set."""
    body = f"Component: {'x' * (MAX_VALUE_LENGTH + 1)}\n"
    fields = extract_fields(make_mail(text_body=body), CONFIG)

    assert fields.problems[0].reason == f"longer than {MAX_VALUE_LENGTH} characters"
    assert "component" not in fields.values


def test_prefixes_and_key_tags_never_reach_a_field() -> None:
    """A reply prefix or ticket key in a value is dropped from it."""
    assert _values("Component: AW: [HELP-42] Printer\n") == {"component": "Printer"}


@pytest.mark.parametrize(
    ("importance", "severity"), [("low", "Low"), ("normal", "Medium"), ("high", "High")]
)
def test_importance_maps_to_its_field(importance: Importance, severity: str) -> None:
    """The mail's importance fills the configured field through its table."""
    fields = extract_fields(make_mail(importance=importance), CONFIG)

    assert fields.values == {"severity": severity}


def test_body_line_wins_over_importance() -> None:
    """A severity written in the body beats the mail's importance."""
    config = CONFIG.model_copy(update={"body_keys": {"Severity": "severity"}})
    mail = make_mail(importance="high", text_body="Severity: Low\n")

    assert extract_fields(mail, config).values == {"severity": "Low"}


def test_importance_value_is_checked_too() -> None:
    """An importance value the field does not allow is a problem."""
    config = CONFIG.model_copy(update={"allowed_values": {"severity": ["P1", "P2"]}})
    fields = extract_fields(make_mail(importance="high"), config)

    assert (fields.values, fields.problems[0].value) == ({}, "High")


KEEP = FieldMapConfig(body_keys={"asset": "asset_tag"}, unmapped_keys="keep")


def test_keep_mode_names_unmapped_labels_in_snake_case() -> None:
    """`unmapped_keys: keep` turns plain labels into fields of their own."""
    body = "Users affected = 6\nAsset: EX-1\nGebäude: B\n"
    values = _values(body, KEEP)
    assert values["users_affected"] == "6"
    assert values["asset_tag"] == "EX-1"
    assert values["gebäude"] == "B"


def test_keep_mode_skips_times_headers_and_long_labels() -> None:
    """Times, header names and sentences with a colon are not labels."""
    body = "since about 06:40 the link drops\nFrom: a@example.com\n"
    body += "this is a long sentence: with a colon\n"
    assert set(_values(body, KEEP)) <= {"severity"}


BLOCK = FieldMapConfig(
    body_keys={"Component": "component", "Phone": "phone"},
    block_start=r"^-+ *ticket fields *-+$",
    block_end=r"^-+ *end *-+$",
    importance_field=None,
)
FORM = "Component: Mail\n--- Ticket fields ---\nComponent: VPN\n--- end ---\n"


@pytest.mark.parametrize(
    ("body", "values"),
    [
        (FORM, {"component": "VPN"}),
        (FORM + "Phone: 123\n", {"component": "VPN"}),
        ("--- ticket fields ---\nPhone = 42\n", {"phone": "42"}),
        ("Component: Mail\nPhone: 42\n", {}),
        ("Hi\n> --- ticket fields ---\n> Component: Old\n", {}),
        ("Hi\n-----Original Message-----\n" + FORM, {}),
    ],
)
def test_with_a_block_only_its_lines_are_read(
    body: str, values: dict[str, str]
) -> None:
    """Lines outside the block, or in quoted history, give nothing."""
    assert _values(body, BLOCK) == values


PRIORITY = FieldMapConfig(priority_field="priority", importance_field="severity")


@pytest.mark.parametrize(
    ("header", "priority"),
    [
        ("1", "Highest"),
        ("1 (Highest)", "Highest"),
        ("2 (High)", "High"),
        ("3", "Normal"),
        ("4 (Low)", "Low"),
        ("5", "Lowest"),
    ],
)
def test_x_priority_maps_through_its_table(header: str, priority: str) -> None:
    """Each X-Priority level fills `priority_field` through the table."""
    mail = make_mail(headers={"X-Priority": header}, importance="high")
    fields = extract_fields(mail, PRIORITY)

    assert fields.values == {"priority": priority, "severity": "High"}


def test_x_priority_outside_the_table_is_a_problem() -> None:
    """A level the table lacks is reported with the levels it knows."""
    mail = make_mail(headers={"X-Priority": "9"})
    problem = extract_fields(mail, PRIORITY).problems[0]

    assert (problem.field, problem.value) == ("priority", "9")
    assert "1, 2, 3, 4, 5" in problem.reason


def test_no_x_priority_header_sets_no_priority() -> None:
    """Without the header the priority field stays unset."""
    assert "priority" not in extract_fields(make_mail(), PRIORITY).values


def test_x_priority_wins_over_importance_for_one_field() -> None:
    """The finer X-Priority level beats the folded importance."""
    config = PRIORITY.model_copy(update={"importance_field": "priority"})
    mail = make_mail(headers={"X-Priority": "5"}, importance="low")

    assert extract_fields(mail, config).values == {"priority": "Lowest"}


def test_typed_body_values_are_converted_and_checked() -> None:
    """Body values go through their field's type; misfits become problems."""
    config = FieldMapConfig(
        body_keys={"Due": "due_date", "Owner": "owner"},
        types={"due_date": "date", "owner": "user"},
        importance_field=None,
    )
    fields = extract_fields(
        make_mail(text_body="Fällig am: 3.12.2026\nOwner: Ann\n"), config
    )

    assert fields.values == {"due_date": "2026-12-03"}
    assert [p.field for p in fields.problems] == ["owner"]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"block_start": "(unclosed"}, "fields.block_start"),
        ({"block_start": "x", "block_end": "[bad"}, "fields.block_end"),
        ({"block_end": "^end$"}, "without fields.block_start"),
        ({"types": {"env": "choice"}}, "fields.types.env"),
    ],
)
def test_check_field_map_names_each_unusable_setting(
    changes: dict[str, Any], named: str
) -> None:
    """Bad patterns, a lone block end and a choice without choices are named."""
    problems = check_field_map(FieldMapConfig.model_validate(changes))

    assert len(problems) == 1 and named in problems[0]


def test_check_field_map_accepts_a_sound_configuration() -> None:
    """A working block and typed fields give no problems."""
    assert check_field_map(BLOCK) == []


def test_lines_with_control_characters_are_not_fields() -> None:
    """Binary junk that happens to hold a colon yields no field."""
    body = "bîëtc: \x00K\x0e\xa1junk\nAsset: EX-1\n"
    assert _values(body, KEEP) == {"asset_tag": "EX-1"}


def test_a_link_on_its_own_line_is_not_a_field() -> None:
    """`https://...` looks like `Label: value` but is a link."""
    body = "https://status.example.org/incidents/7\nAsset: EX-1\n"
    assert _values(body, KEEP) == {"asset_tag": "EX-1"}
