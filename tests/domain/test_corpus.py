"""The shared real-world corpus: every mail parses, and source values match.

Only values whose `field_origin` is `source` (stated by the source project's
own tests) are counted; rows without `field_origin` carry another parser's
full parse and are shown for information only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from mailroom.mime import parse_mail, safe_filename, unique_filenames
from mailroom.models import ParsedMail
from mailroom.reply_text import strip_quoted
from tests.cases import SHARED

CORPUS = SHARED / "corpus"
EXPECTED = CORPUS / "expected.jsonl"
FIELDS = ("from", "subject", "body_contains", "attachments")
REQUIRED_SHARE = 0.98
REQUIRED_REPLIES = 10

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not EXPECTED.is_file(), reason=f"shared corpus not found at {EXPECTED}"
    ),
]

Row = dict[str, Any]


@pytest.fixture(scope="module")
def corpus() -> list[tuple[Row, ParsedMail]]:
    """Parse every corpus message once, with its expectations."""
    rows = [json.loads(line) for line in EXPECTED.read_text().splitlines() if line]
    return [(row, parse_mail((CORPUS / row["file"]).read_bytes())) for row in rows]


def _words(text: str) -> str:
    """Collapse all white space to single spaces."""
    return " ".join(text.split())


def _pattern(expected: str) -> re.Pattern[str]:
    """Match `expected` literally, letting U+FFFD stand for any one character.

    The source reads undecodable bytes as U+FFFD; Mailroom reads them as
    Windows-1252, which is at least as good.
    """
    return re.compile(".".join(re.escape(piece) for piece in expected.split("\ufffd")))


def _same_from(row: Row, parsed: ParsedMail) -> bool:
    """Compare the sender address, case-insensitively."""
    sender = parsed.mail.sender
    got = sender.email.lower() if sender else None
    return got == (row["from"].lower() if row["from"] else None)


def _same_subject(row: Row, parsed: ParsedMail) -> bool:
    """Compare the decoded subject exactly (U+FFFD matches any character)."""
    return bool(_pattern(row["subject"] or "").fullmatch(parsed.mail.subject))


def _same_body(row: Row, parsed: ParsedMail) -> bool:
    """Find `body_contains` in the text body; null means an empty body."""
    if row["body_contains"] is None:
        return not parsed.mail.text_body.strip()
    body = _words(parsed.mail.text_body)
    return bool(_pattern(_words(row["body_contains"])).search(body))


def _expected_name(name: str | None) -> str | None:
    """Turn a source's expected name into Mailroom's, or None for any name.

    Sources invent names for unnamed parts (`noname1`) or prefix the part
    number (`part-1_signature.asc`); the rest goes through the safe-name rule.
    """
    if name is None or re.fullmatch(r"noname\d*", name):
        return None
    return safe_filename(re.sub(r"^part-\d+_", "", name))


def _same_names(row: Row, parsed: ParsedMail) -> bool:
    """Compare attachment names in order after the safe and unique rules."""
    expected = [_expected_name(name) for name in row["attachments"] or []]
    named = iter(unique_filenames([name for name in expected if name]))
    wanted = [next(named) if name else None for name in expected]
    got = [item.filename for item in parsed.mail.attachments]
    if parsed.mail.signature:
        # A signature is recorded, not attached; its file still counts.
        got.append(parsed.mail.signature.rpartition("(")[2].rstrip(")"))
    pairs = zip(wanted, got, strict=False)
    matches = all(want in (None, name) for want, name in pairs)
    return len(wanted) == len(got) and matches


CHECKS: dict[str, Callable[[Row, ParsedMail], bool]] = {
    "from": _same_from,
    "subject": _same_subject,
    "body_contains": _same_body,
    "attachments": _same_names,
}


def _origin(row: Row, field: str) -> str:
    """Return the origin of one expected value: source, derived or unknown."""
    origins: dict[str, str] = row.get("field_origin") or {}
    return origins.get(field, "unknown")


def _tally(
    corpus: list[tuple[Row, ParsedMail]], rows: Callable[[Row, str], bool]
) -> dict[str, tuple[int, int, list[str]]]:
    """Count, per field, the selected rows and how many Mailroom reproduces."""
    counts: dict[str, tuple[int, int, list[str]]] = {}
    for field in FIELDS:
        chosen = [(row, parsed) for row, parsed in corpus if rows(row, field)]
        misses = [row["file"] for row, p in chosen if not CHECKS[field](row, p)]
        counts[field] = (len(chosen) - len(misses), len(chosen), misses)
    return counts


def _table(title: str, counts: dict[str, tuple[int, int, list[str]]]) -> str:
    """Format per-field counts and percentages, with the misses listed."""
    lines = [title, f"{'field':<15}{'match':>7}{'of':>5}{'percent':>9}"]
    for field, (matched, total, misses) in counts.items():
        share = 100.0 * matched / total if total else 100.0
        lines.append(f"{field:<15}{matched:>7}{total:>5}{share:>8.1f}%")
        lines.extend("    miss: " + name for name in misses)
    return "\n".join(lines)


def test_every_corpus_message_parses(corpus: list[tuple[Row, ParsedMail]]) -> None:
    """All messages parse without the parser's last-resort fallback."""
    failed = [
        row["file"]
        for row, parsed in corpus
        if any(d.startswith("The mail could not") for d in parsed.mail.defects)
    ]
    assert len(corpus) > 0 and failed == []


def test_source_stated_values_are_reproduced(
    corpus: list[tuple[Row, ParsedMail]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Per field, at least 98% of the source-stated values are reproduced."""
    counts = _tally(corpus, lambda row, field: _origin(row, field) == "source")
    with capsys.disabled():
        print("\n" + _table("corpus, values stated by the source", counts))
    for field, (matched, total, _) in counts.items():
        assert total and matched / total >= REQUIRED_SHARE, field


def test_full_parses_of_another_parser_are_reported(
    corpus: list[tuple[Row, ParsedMail]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows without field origins (another parser's full parse) are shown."""
    counts = _tally(corpus, lambda row, field: "field_origin" not in row)
    with capsys.disabled():
        print("\n" + _table("corpus, another parser's full parse (info)", counts))
    assert all(total > 0 for _, total, _ in counts.values())


def _reply_matches(row: Row, parsed: ParsedMail) -> bool | None:
    """Compare the stripped reply with what the source expects, if anything."""
    extra: dict[str, Any] = row.get("source_expect_extra") or {}
    reply = strip_quoted(parsed.mail.text_body)
    if "reply_text_after_quote_strip" in extra:
        return _words(reply) == _words(extra["reply_text_after_quote_strip"])
    if "stripped_reply_nonempty" in extra:
        forbidden = extra.get("stripped_reply_must_not_contain") or "\0"
        return bool(reply.strip()) and forbidden not in reply
    return None


def test_talon_replies_lose_their_quotes(
    corpus: list[tuple[Row, ParsedMail]], capsys: pytest.CaptureFixture[str]
) -> None:
    """At least ten of the talon replies strip to the expected new text."""
    results = {row["file"]: _reply_matches(row, parsed) for row, parsed in corpus}
    judged = {name: ok for name, ok in results.items() if ok is not None}
    misses = [name for name, ok in judged.items() if not ok]
    with capsys.disabled():
        print(f"\ntalon replies: {len(judged) - len(misses)} of {len(judged)} match")
        print("\n".join("    miss: " + name for name in misses))
    assert len(judged) - len(misses) >= REQUIRED_REPLIES
