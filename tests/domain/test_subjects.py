"""Reply and forward prefixes in many languages, and ticket keys."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailroom import subjects
from mailroom.subjects import (
    find_mailroom_tokens,
    find_ticket_keys,
    mailroom_token,
    prefix_kind,
    strip_prefixes,
    token_id,
    topic_changed,
)

ROOT = Path(__file__).resolve().parents[2]
LOCALIZED = [
    # English
    ("RE: Printer", "reply"),
    ("Re: Printer", "reply"),
    ("FW: Printer", "forward"),
    ("Fwd: Printer", "forward"),
    ("FWD: Printer", "forward"),
    ("\uff32\uff25: Printer", "reply"),  # full-width, from East Asian clients
    ("\uff26\uff37: Printer", "forward"),
    ("\uff26\uff37\uff24: Printer", "forward"),
    # German
    ("AW: Printer", "reply"),
    ("Antwort: Printer", "reply"),
    ("WG: Printer", "forward"),
    # French, with the space French typography puts before a colon
    ("RE : Printer", "reply"),
    ("Ré: Printer", "reply"),
    ("TR: Printer", "forward"),
    ("TR : Printer", "forward"),
    # Spanish
    ("RE: Printer", "reply"),
    ("RV: Printer", "forward"),
    # Italian
    ("R: Printer", "reply"),
    ("RIF: Printer", "reply"),
    ("I: Printer", "forward"),
    # Portuguese
    ("RES: Printer", "reply"),
    ("ENC: Printer", "forward"),
    # Dutch
    ("Antw: Printer", "reply"),
    ("Doorst: Printer", "forward"),
    # Nordic
    ("SV: Printer", "reply"),
    ("VS: Printer", "reply"),
    ("VB: Printer", "forward"),
    ("VL: Printer", "forward"),
    ("FS: Printer", "forward"),
    ("Videresend: Printer", "forward"),
    ("Vedr: Printer", "reply"),
    # Polish and Czech
    ("Odp: Printer", "reply"),
    ("PD: Printer", "forward"),
    ("PŘ: Printer", "forward"),
    ("PŘED: Printer", "forward"),
    # Turkish
    ("YNT: Printer", "reply"),
    ("İLT: Printer", "forward"),
    ("ILT: Printer", "forward"),
    # Hungarian
    ("VÁ: Printer", "reply"),
    # Russian
    ("Отв: Printer", "reply"),
    # Cyrillic capitals that look Latin, on purpose:
    ("ОТВЕТ: Printer", "reply"),  # noqa: RUF001
    ("Пер: Printer", "forward"),
    ("Пересл: Printer", "forward"),
    # Chinese
    ("回复: Printer", "reply"),
    ("回覆: Printer", "reply"),
    ("答复: Printer", "reply"),
    ("转发: Printer", "forward"),
    ("轉寄: Printer", "forward"),
    # Japanese and Korean
    ("返信: Printer", "reply"),
    ("転送: Printer", "forward"),
    ("회신: Printer", "reply"),
    ("답장: Printer", "reply"),
    ("전달: Printer", "forward"),
    # Greek
    ("ΑΠ: Printer", "reply"),
    ("ΣΧΕΤ: Printer", "reply"),
    ("ΠΡΘ: Printer", "forward"),
    # Hebrew and Arabic
    ("השב: Printer", "reply"),
    ("הועבר: Printer", "forward"),
    ("رد: Printer", "reply"),
    ("إعادة توجيه: Printer", "forward"),
]


@pytest.mark.parametrize(("subject", "kind"), LOCALIZED)
def test_localized_prefix_is_stripped(subject: str, kind: str) -> None:
    """Each language's prefix goes and the base subject stays."""
    assert strip_prefixes(subject)[0] == "Printer"
    assert prefix_kind(subject) == kind


@pytest.mark.parametrize(("subject", "kind"), LOCALIZED)
def test_localized_prefix_ignores_case(subject: str, kind: str) -> None:
    """A prefix counts whatever its case."""
    word, rest = subject.split(":", 1)
    changed = f"{word.swapcase()}:{rest}"

    assert strip_prefixes(changed)[0] == "Printer"
    assert prefix_kind(changed) == kind


@pytest.mark.parametrize(
    ("subject", "base", "removed"),
    [
        ("AW: AW: Printer", "Printer", ["AW:", "AW:"]),
        ("RE: FW: Printer", "Printer", ["RE:", "FW:"]),
        ("RE[2]: Printer", "Printer", ["RE[2]:"]),
        ("Re^3: Printer", "Printer", ["Re^3:"]),
        ("Re(2): Printer", "Printer", ["Re(2):"]),
        ("回复\uff1aPrinter", "Printer", ["回复\uff1a"]),
        ("回复\uff1a回复\uff1aPrinter", "Printer", ["回复\uff1a", "回复\uff1a"]),
        ("Re[2]: AW(3): SV: Printer", "Printer", ["Re[2]:", "AW(3):", "SV:"]),
        ("aw: Aw: AW: Printer", "Printer", ["aw:", "Aw:", "AW:"]),
        ("RE [2] : Printer", "Printer", ["RE [2] :"]),
        ("RE:Printer", "Printer", ["RE:"]),
        ("re:re:  Printer  offline ", "Printer offline", ["re:", "re:"]),
        ("RE:[HELP-42]Printer", "[HELP-42]Printer", ["RE:"]),
        ("[users] Re: Printer", "[users] Printer", ["Re:"]),
        ("Re: [users] Printer", "[users] Printer", ["Re:"]),
        ("Re:", "", ["Re:"]),
    ],
)
def test_stacked_and_odd_prefixes(subject: str, base: str, removed: list[str]) -> None:
    """Stacked, counted, spaceless and full-width forms all go."""
    assert strip_prefixes(subject) == (base, removed)


@pytest.mark.parametrize(
    "subject",
    [
        "Reset password",
        "Ré union du lundi",
        "Rés: not a prefix",
        "Regarding the invoice",
        "Fwding rules broken",
        "Award ceremony",
        "Automatic reply: [HELP-61] VPN",
        "Invoice RE 42: missing",
        "Server: disk full",
        "",
    ],
)
def test_words_that_only_look_like_prefixes_stay(subject: str) -> None:
    """A word that merely starts like a prefix is not stripped."""
    assert strip_prefixes(subject) == (" ".join(subject.split()), [])
    assert prefix_kind(subject) is None


def test_first_prefix_decides_the_kind() -> None:
    """A forward of a reply is a forward."""
    assert prefix_kind("FW: RE: Printer") == "forward"


@given(st.text())
def test_stripping_twice_changes_nothing(subject: str) -> None:
    """Stripping is idempotent on any text."""
    base, _ = strip_prefixes(subject)

    assert strip_prefixes(base) == (base, [])


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("[HELP-42] Printer", ["HELP-42"]),
        ("help-42 and HELP-42 again", ["HELP-42"]),
        ("RE:[HELP-42]Printer", ["HELP-42"]),
        ("see https://t.example.org/browse/HELP-7.", ["HELP-7"]),
        ("INC0012345 and RITM0001234", ["INC0012345", "RITM0001234"]),
        (
            "REQ1234567 CHG7654321 PRB0000001",
            ["REQ1234567", "CHG7654321", "PRB0000001"],
        ),
        ("TASK0001234 SCTASK0001234", ["TASK0001234", "SCTASK0001234"]),
        ("AB#123 fixes it", ["AB#123"]),
        ("OPS-3 then HELP-4", ["OPS-3", "HELP-4"]),
    ],
)
def test_ticket_keys_are_found_in_order(text: str, keys: list[str]) -> None:
    """Keys of every supported tool are found, normalized and in order."""
    assert find_ticket_keys(text, ["HELP", "OPS"]) == keys


@pytest.mark.parametrize(
    "text",
    [
        "INC123456 is too short",
        "XHELP-42 HELP-42b HELP-0",
        "OTHER-42 is not configured",
        "PAB#12",
        "ROUTER-42",
    ],
)
def test_things_that_are_not_keys(text: str) -> None:
    """Short numbers, unknown projects and glued words are no keys."""
    assert find_ticket_keys(text, ["HELP"]) == []


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("#123 fails", ["AB#123"]),
        ("AB#7 and #7", ["AB#7"]),
        ("&#123; is an entity", []),
        ("issue#5 is glued", []),
    ],
)
def test_bare_work_item_numbers_when_asked(text: str, keys: list[str]) -> None:
    """With bare_numbers, `#123` is read as the work item AB#123."""
    assert find_ticket_keys(text, [], bare_numbers=True) == keys


def test_mailroom_token_is_found_in_any_case_and_spacing() -> None:
    """A token survives a client that changes its case or spacing."""
    token = mailroom_token("m-0123")
    mangled = "Re: " + token.upper().replace("[", "[ ").replace(":", " : ")

    assert find_mailroom_tokens(f"{mangled} {token}") == [token_id("m-0123")]


def test_mailroom_tokens_differ_per_mail_and_are_no_ticket_keys() -> None:
    """Each mail has its own token, which no tool's key pattern takes."""
    first, second = mailroom_token("m-1"), mailroom_token("m-2")

    assert first != second
    assert find_ticket_keys(first, ["MR", "HELP"]) == []


@pytest.mark.parametrize(
    ("new", "old", "changed"),
    [
        ("Re: Printer offline", "Printer offline", False),
        ("AW: [HELP-42] printer  OFFLINE?", "Printer offline", False),
        ("Room booking - one more question", "Room booking for March", False),
        ("RE: Laptop battery swelling", "Printer offline", True),
        ("Re:", "Printer offline", False),
    ],
)
def test_topic_change(new: str, old: str, changed: bool) -> None:
    """A subject leaves the topic only when it shares no word with the old."""
    assert topic_changed(new, old) is changed


def test_no_prefix_is_both_a_reply_and_a_forward() -> None:
    """Each prefix word has one kind: the tables share none, case folded."""
    replies = {word.casefold() for word in subjects._REPLY}
    forwards = {word.casefold() for word in subjects._FORWARD}

    assert replies & forwards == set()


def test_the_readme_names_each_prefix_with_the_kind_the_code_gives() -> None:
    """The prefixes README.md lists as reply or forward prefixes are read so."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    listed = {
        kind: re.search(rf"{kind} prefix(?:es)? \(([^)]*)\)", readme)
        for kind in ("reply", "forward")
    }

    for kind, found in listed.items():
        assert found is not None, kind
        words = [w for w in found.group(1).split(", ") if w.endswith(":")]
        assert words, kind
        assert {w: prefix_kind(f"{w} Printer") for w in words} == dict.fromkeys(
            words, kind
        )
