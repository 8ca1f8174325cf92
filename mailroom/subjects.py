"""Subject lines: localized prefixes, ticket keys, Mailroom's token, topics."""

from __future__ import annotations

import hashlib
import re
from typing import Literal

PrefixKind = Literal["reply", "forward"]

# Prefixes that mail clients put in front of a subject, by language. Each
# counts only when a colon follows it, so words such as "Reset" or "Ré"
# without a colon stay in the subject.
_REPLY = (
    "re",  # English and most languages; Latin "in re"
    "\uff52\uff45",  # full-width "re" of Japanese and Chinese clients
    "ré",  # French, as some clients spell it
    "aw",  # German "Antwort"
    "antwort",  # German, Lotus Notes
    "antw",  # Dutch "Antwoord"
    "sv",  # Swedish, Danish, Norwegian, Icelandic "Svar"
    "vedr",  # Danish and Norwegian "Vedrørende"
    # Finnish "Vastaus". Danish and Norwegian clients use VS for a forward;
    # it is read as a reply, because a reply taken for a forward would open
    # a second ticket, and a forward taken for a reply only adds a comment.
    "vs",
    "odp",  # Polish and Czech "Odpowiedź" / "Odpověď"
    "ynt",  # Turkish
    "res",  # Portuguese "Resposta"
    "rif",  # Italian "Riferimento"
    "r",  # Italian "Risposta"
    "vá",  # Hungarian "Válasz"
    "отв",  # Russian "Ответ"
    "ответ",
    "回复",  # Simplified Chinese
    "回覆",  # Traditional Chinese
    "答复",
    "答覆",
    "返信",  # Japanese
    "회신",  # Korean
    "답장",
    "απ",  # Greek "Απάντηση"
    "σχετ",  # Greek "Σχετικό"
    "השב",  # Hebrew
    "תשובה",
    "رد",  # Arabic
)
_FORWARD = (
    "fw",  # English
    "fwd",
    "\uff46\uff57",  # full-width "fw" of Japanese and Chinese clients
    "\uff46\uff57\uff44",  # full-width "fwd"
    "wg",  # German "Weitergeleitet"
    "tr",  # French "Transféré"
    "rv",  # Spanish "Reenviado"
    "enc",  # Portuguese "Encaminhado"
    "i",  # Italian "Inoltrato"
    "doorst",  # Dutch "Doorgestuurd"
    "vb",  # Swedish "Vidarebefordrat"
    "vl",  # Finnish "Välitetty"
    "fs",  # Icelandic "Framsent"
    "videresend",  # Norwegian
    "pd",  # Polish "Prześlij dalej"
    "př",  # Czech "Přeposláno"
    "před",
    "ilt",  # Turkish "İLT"; the pattern ignores case, dotted I included
    "i\u0307lt",  # the same, lower-cased to i and a combining dot
    "пер",  # Russian "Переслано"
    "пересл",
    "转发",  # Simplified Chinese
    "轉寄",  # Traditional Chinese
    "轉發",
    "転送",  # Japanese
    "전달",  # Korean
    "πρθ",  # Greek "Προωθημένο"
    "הועבר",  # Hebrew
    "إعادة توجيه",  # Arabic
)
_KINDS: dict[str, PrefixKind] = {
    **{word: "reply" for word in _REPLY},
    **{word: "forward" for word in _FORWARD},
}
_WORDS = "|".join(re.escape(word) for word in sorted(_KINDS, key=len, reverse=True))
_PREFIX = re.compile(
    rf"\s*(?P<prefix>(?P<word>{_WORDS})\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:\uff1a])\s*",
    re.IGNORECASE,
)
_TAGS = re.compile(r"\s*(?:\[[^\[\]]*\]\s*)+")

_SERVICENOW = ("PRBTASK", "SCTASK", "CTASK", "RITM", "TASK", "INC", "REQ", "CHG", "PRB")
_KEY_TAG = re.compile(
    r"\[\s*(?:[A-Z][A-Z0-9_]*-\d+|[A-Z]+\d{7,}|AB#\d+|MR:[0-9a-f]+)\s*\]", re.I
)
_WORD = re.compile(r"\w{3,}")
# Short function words that say nothing about a topic.
_COMMON = frozenset(
    {"the", "and", "for", "with", "from", "your", "our", "you", "are", "not"}
    | {"this", "that", "der", "die", "das", "und", "mit", "von", "les", "des"}
    | {"une", "pour", "avec", "por", "con", "una"}
)
_TOKEN = re.compile(r"\[\s*MR\s*:\s*(?P<id>[0-9a-f]{12})\s*\]", re.IGNORECASE)


def strip_prefixes(subject: str) -> tuple[str, list[str]]:
    """Split reply and forward prefixes off a subject, keeping list tags.

    Return the base subject, its whitespace collapsed, and the prefixes in
    the order they stood. A tag such as `[users]` before a prefix stays in
    the base subject; the prefix after it goes.
    """
    base, prefixes = _scan(subject)
    return base, [prefix.group("prefix") for prefix in prefixes]


def prefix_kind(subject: str) -> PrefixKind | None:
    """Tell whether the subject's first prefix marks a reply or a forward."""
    _, prefixes = _scan(subject)
    if not prefixes:
        return None
    return _KINDS[_fold(prefixes[0].group("word"))]


def topic_changed(new: str, old: str) -> bool:
    """Tell whether the subject `new` leaves the topic of the subject `old`.

    Subjects are compared without prefixes, key tags, case or spacing. A
    subject that shares a word with the old one, such as "Room booking -
    one more question" under "Room booking for March", stays on topic; so
    does an empty one.
    """
    new, old = _topic(new), _topic(old)
    if not new or not old or new in old or old in new:
        return False
    return not (_topic_words(new) & _topic_words(old))


def find_ticket_keys(
    text: str, projects: list[str], *, bare_numbers: bool = False
) -> list[str]:
    """Find ticket keys in `text`, normalized, deduplicated, in order.

    Keys are Jira-style keys of the configured `projects` (`HELP-42`,
    `[help-42]`), ServiceNow numbers (`INC0012345`, seven digits or more)
    and Azure DevOps mentions (`AB#123`, and `#123` with `bare_numbers`,
    both written `AB#123`).
    """
    spelling = {project.casefold(): project for project in projects}
    keys: list[str] = []
    for match in _key_pattern(projects, bare_numbers).finditer(text):
        key = _normalize_key(match, spelling)
        if key not in keys:
            keys.append(key)
    return keys


def token_id(mail_key: str) -> str:
    """Return the id that stands for a mail in Mailroom's token, `MR:` and hex."""
    return "MR:" + hashlib.sha256(mail_key.encode()).hexdigest()[:12]


def mailroom_token(mail_key: str) -> str:
    """Return Mailroom's token for a mail, as it is written: `[MR:...]`."""
    return f"[{token_id(mail_key)}]"


def find_mailroom_tokens(text: str) -> list[str]:
    """Find Mailroom's tokens in `text`, as token ids, deduplicated, in order."""
    found = (f"MR:{match.group('id').lower()}" for match in _TOKEN.finditer(text))
    return list(dict.fromkeys(found))


def _scan(subject: str) -> tuple[str, list[re.Match[str]]]:
    """Walk the leading prefixes and list tags of a subject."""
    kept: list[str] = []
    prefixes: list[re.Match[str]] = []
    rest = subject
    while True:
        prefix = _PREFIX.match(rest)
        if prefix:
            prefixes.append(prefix)
            rest = rest[prefix.end() :]
            continue

        tags = _TAGS.match(rest)
        if tags and _PREFIX.match(rest, tags.end()):
            kept.append(tags.group().strip())
            rest = rest[tags.end() :]
            continue
        break

    return " ".join(" ".join([*kept, rest]).split()), prefixes


def _topic(subject: str) -> str:
    """Reduce a subject to its base, for comparing two subjects."""
    base, _ = strip_prefixes(subject)
    return " ".join(_KEY_TAG.sub(" ", base).casefold().split())


def _topic_words(subject: str) -> set[str]:
    """Return the words of a subject that can carry its topic."""
    words = {word for word in _WORD.findall(subject) if not word.isdigit()}
    return words - _COMMON


def _fold(word: str) -> str:
    """Fold a prefix word for lookup; Turkish dotted I folds to plain i."""
    return word.casefold().replace("i\u0307", "i")


def _key_pattern(projects: list[str], bare_numbers: bool) -> re.Pattern[str]:
    """Build the pattern that finds every kind of ticket key."""
    ado = "(?:AB)?#" if bare_numbers else "AB#"
    kinds = [
        rf"(?P<snow>(?:{'|'.join(_SERVICENOW)})\d{{7,}})(?!\d)",
        rf"{ado}(?P<ado>[1-9]\d*)(?!\w)",
    ]
    if projects:
        names = sorted((re.escape(p) for p in projects), key=len, reverse=True)
        kinds.append(rf"(?P<project>{'|'.join(names)})-(?P<number>[1-9]\d*)(?![\w-])")
    # `&#123;` is an HTML character reference, not a work item.
    return re.compile(rf"(?<![\w#&-])(?:{'|'.join(kinds)})", re.IGNORECASE)


def _normalize_key(match: re.Match[str], spelling: dict[str, str]) -> str:
    """Write a found key the way its tool writes it."""
    if match.group("snow"):
        return match.group("snow").upper()
    if match.group("ado"):
        return f"AB#{match.group('ado')}"
    project = spelling[match.group("project").casefold()]
    return f"{project}-{match.group('number')}"
