"""Dates as people write them in a mail body, read without a clock."""

from __future__ import annotations

import re
from datetime import date

from mailroom.field_labels import fold_text

_YEAR_FIRST = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DOTTED = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_SLASHED = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")

# Month names, folded, one language a line: English, German, French,
# Spanish, Italian, Dutch, Portuguese, Swedish, Danish, Norwegian, and
# Polish in the genitive that dates use. A token matches a month when it
# starts at least three letters of one of its names and of no other month's.
_MONTH_NAMES = (
    "january february march april may june july august september october "
    "november december",
    "januar februar marz april mai juni juli august september oktober "
    "november dezember",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre "
    "novembre decembre",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre "
    "noviembre diciembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre "
    "ottobre novembre dicembre",
    "januari februari maart april mei juni juli augustus september oktober "
    "november december",
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro "
    "novembro dezembro",
    "januari februari mars april maj juni juli augusti september oktober "
    "november december",
    "januar februar marts april maj juni juli august september oktober "
    "november december",
    "januar februar mars april mai juni juli august september oktober "
    "november desember",
    "stycznia lutego marca kwietnia maja czerwca lipca sierpnia wrzesnia "
    "pazdziernika listopada grudnia",
)
_MONTHS = [
    (number, name)
    for line in _MONTH_NAMES
    for number, name in enumerate(line.split(), start=1)
]
# Words that may stand between the parts of a date: "3rd of December",
# "3 de diciembre de 2026", "1er décembre", "le 3 décembre".
_FILLERS = frozenset(["st", "nd", "rd", "th", "er", "of", "the", "de", "del", "le"])


def read_date(text: str, month_first: bool = False) -> date | None:
    """Return the date that `text` writes, or None if it writes none.

    Accepted: ISO `2026-12-03`, dotted `3.12.2026` (always day first),
    slashed `03/12/2026` (day first unless `month_first`), and a month
    name with day and four-digit year (`3 Dec 2026`, `December 3, 2026`).
    Relative words such as "tomorrow" need a clock and are not dates here.
    """
    text = text.strip()
    if match := _YEAR_FIRST.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DOTTED.fullmatch(text):
        day, month, year = match.groups()
    elif match := _SLASHED.fullmatch(text):
        day, month, year = match.groups()
        if month_first:
            day, month = month, day
    else:
        return _read_named(text)
    return _date(int(year), int(month), int(day))


def _read_named(text: str) -> date | None:
    """Read a date whose month is a word, in day-month or month-day order."""
    tokens = [t for t in _TOKEN.findall(fold_text(text)) if t not in _FILLERS]
    words = [t for t in tokens if not t.isdigit()]
    numbers = sorted((t for t in tokens if t.isdigit()), key=len)
    if len(words) != 1 or len(numbers) != 2:
        return None

    month = _month(words[0])
    day, year = numbers
    if month is None or len(day) > 2 or len(year) != 4:
        return None
    return _date(int(year), month, int(day))


def _month(word: str) -> int | None:
    """Return the month a name or its abbreviation stands for, if just one."""
    if len(word) < 3:
        return None
    found = {number for number, name in _MONTHS if name.startswith(word)}
    return found.pop() if len(found) == 1 else None


def _date(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when no such day exists."""
    try:
        return date(year, month, day)
    except ValueError:
        return None
