"""Dates as people write them, read into calendar dates without a clock."""

from __future__ import annotations

from datetime import date

import pytest

from mailroom.field_dates import read_date

DEC_3 = date(2026, 12, 3)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-03",
        "2026/12/3",
        "3.12.2026",
        "03. 12. 2026",
        "03/12/2026",
        "3-12-2026",
        "3 Dec 2026",
        "3 Dec. 2026",
        "December 3, 2026",
        "3rd of December 2026",
        "3. Dezember 2026",
        "3 décembre 2026",
        "3 de diciembre de 2026",
        "3 dicembre 2026",
        "3 december 2026",
        "3 dezembro 2026",
        "3 grudnia 2026",
        "3 desember 2026",
    ],
)
def test_written_dates_read_as_the_third_of_december(text: str) -> None:
    """ISO, dotted, slashed and named-month forms give one calendar date."""
    assert read_date(text) == DEC_3


def test_slashed_dates_follow_the_configured_order() -> None:
    """`12/03/2026` is 12 March day-first and 3 December month-first."""
    assert read_date("12/03/2026") == date(2026, 3, 12)
    assert read_date("12/03/2026", month_first=True) == DEC_3


def test_dotted_dates_are_always_day_first() -> None:
    """The dotted form is day-first wherever it is written."""
    assert read_date("3.12.2026", month_first=True) == DEC_3


@pytest.mark.parametrize(
    "text",
    [
        "tomorrow",
        "next Friday",
        "31.02.2026",
        "13/13/2026",
        "3.12.26",
        "3 Ju 2026",
        "3 Jui 2026",
        "Dec 2026",
        "3 Dec",
        "2026-12-03T10:00",
        "",
    ],
)
def test_relative_impossible_and_ambiguous_dates_are_none(text: str) -> None:
    """Relative words, impossible days and unclear months give no date."""
    assert read_date(text) is None
