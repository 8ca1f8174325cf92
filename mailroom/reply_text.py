"""The new text of a reply, without the quoted history and the signature."""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage

# The library knows the header blocks ("From: / Sent: / To:") and the
# "On ... wrote:" lines of many mail clients and languages.
_LANGUAGES = [language for language in MAIL_LANGUAGES if language != "david"]
_CLIENT_HEADERS = EmailMessage(text="", languages=_LANGUAGES).HEADER_REGEX

# Attribution lines the library misses: other languages, a leading "---"
# (Yahoo), or a line wrapped in two. They carry a date or an address.
_WROTE = re.compile(
    r"^(?=.*[\d@]).*?("
    r"wrote|writes|schrieb|a [ée]crit|escribi[óo]|ha scritto|schreef|escreveu|"
    r"skrev|napisa[łl]\w*|napsal\w*|написал\w*|пише|kirjoitti|írta|yazd\u0131|"
    r"έγραψε|写道|のメッセージ|작성"
    r")[^:\n]{0,40}\s*[:\uff1a]\s*$",
    re.IGNORECASE,
)
_OPENER = re.compile(
    r"^[\W_]*(on|am|le|el|il|op|em|den|dne|dnia|w dniu|pada|\d)", re.IGNORECASE
)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|"
    r"message d'origine|mensaje original|messaggio originale|"
    r"oorspronkelijk bericht|ursprungligt meddelande|opprinnelig melding|"
    r"oprindelig meddelelse|původní zpráva|oryginalna wiadomość|"
    r"исходное сообщение)\s*-{2,}|_{20,})\s*$",
    re.IGNORECASE,
)
_MAX_SIGNATURE_LINES = 12


def strip_quoted(text: str) -> str:
    """Return the new text of a reply: no quoted history, no signature.

    A text where nothing new is left is returned whole, so that a comment
    never ends up empty when the mail was not.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _drop_quoted(lines)
    lines = _cut_history(lines)
    lines = _drop_signature(lines)
    reply = "\n".join(line.rstrip() for line in lines).strip()
    return reply or text.strip()


def _drop_quoted(lines: list[str]) -> list[str]:
    """Remove `>` lines and the attribution line right above each block."""
    kept: list[str] = []
    for line in lines:
        if line.lstrip().startswith(">"):
            _drop_attribution(kept)
        else:
            kept.append(line)
    return kept


def _drop_attribution(kept: list[str]) -> None:
    """Remove a one- or two-line "On ... wrote:" at the end of `kept`."""
    end = len(kept)
    while end and not kept[end - 1].strip():
        end -= 1
    if not end or not _WROTE.search(kept[end - 1]):
        return
    single = kept[end - 1].strip()
    wrapped = end >= 2 and bool(kept[end - 2].strip()) and not _OPENER.match(single)
    start = end - 2 if wrapped and _OPENER.match(kept[end - 2].strip()) else end - 1
    del kept[start:]


def _cut_history(lines: list[str]) -> list[str]:
    """Cut at the first history marker that follows some new text."""
    starts = _history_starts(lines)
    marked = set(starts)
    written = (n for n, line in enumerate(lines) if line.strip() and n not in marked)
    first_new = next(written, len(lines))
    cut = next((index for index in starts if index > first_new), None)
    return lines if cut is None else lines[:cut]


def _history_starts(lines: list[str]) -> list[int]:
    """Return the line numbers where a quoted history may begin, in order."""
    starts = [
        index
        for index, line in enumerate(lines)
        if _SEPARATOR.match(line) or (_WROTE.search(line) and _OPENER.match(line))
    ]
    stripped = "\n".join(line.strip() for line in lines)
    # Lines are counted on from the previous match: counting from the start
    # for every match would read the text once per match.
    line, counted = 0, 0
    for match in _CLIENT_HEADERS.finditer(stripped):
        offset = match.start() + len(match.group()) - len(match.group().lstrip())
        line += stripped.count("\n", counted, offset)
        counted = offset
        starts.append(line)
    return sorted(set(starts))


def _drop_signature(lines: list[str]) -> list[str]:
    """Remove a signature that starts with the `-- ` line near the end."""
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].rstrip() == "--":
            short = len(lines) - index <= _MAX_SIGNATURE_LINES
            return lines[:index] if short else lines
    return lines
