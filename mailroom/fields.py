"""Field extraction: `Key: Value` lines and importance become ticket fields."""

from __future__ import annotations

import re

from mailroom.config import FieldMapConfig
from mailroom.models import FieldProblem, NormalizedMail, TicketFields
from mailroom.subjects import strip_prefixes

MAX_VALUE_LENGTH = 255

_LINE = re.compile(
    r"^[ \t]*(?P<key>[^\W\d_][\w .\-/]{0,39}?)[ \t]*[:=][ \t]*(?P<value>.*)$"
)
_QUOTE_START = re.compile(
    r"^(?:>"  # a quoted line
    r"|-{2,}\s*[^-].*-{2,}\s*$"  # -----Original Message-----
    r"|_{10,}\s*$"  # Outlook's rule above the original's headers
    r"|.*\b(?:wrote|schrieb|a écrit|escribió|scrisse|skrev|kirjoitti)\s*:\s*$)",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^(?:from|von|de|da|van|från|fra|lähettäjä)\s*:", re.I)
_HEADER_NEXT = re.compile(
    r"^(?:sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden|skickat)\s*:",
    re.I,
)
_PLAIN_LABEL = re.compile(r"^[^\W\d_]+(?:[ \-][^\W\d_]+){0,2}$")
_HEADER_NAMES = frozenset(
    ["from", "to", "cc", "bcc", "subject", "date", "sent", "re", "fw", "fwd"]
)
_KEY_TAG = re.compile(r"\[\s*[A-Z][A-Z0-9_]*-\d+\s*\]\s*")


def extract_fields(mail: NormalizedMail, config: FieldMapConfig) -> TicketFields:
    """Map the mail's importance and its body's `Key: Value` lines to fields.

    Only the writer's own text counts: lines after the start of quoted
    history are ignored. A value that is too long or not among the field's
    allowed values becomes a problem, not a field. A body line wins over
    the mail's importance for the same field.
    """
    values: dict[str, str] = {}
    problems: list[FieldProblem] = []
    for field, value in _wanted(mail, config):
        if field in values or any(p.field == field for p in problems):
            continue
        fitted = _fit(field, value, config)
        if isinstance(fitted, FieldProblem):
            problems.append(fitted)
        else:
            values[field] = fitted
    return TicketFields(values=values, problems=problems)


def _wanted(mail: NormalizedMail, config: FieldMapConfig) -> list[tuple[str, str]]:
    """List (field, value) pairs in order of precedence."""
    labels = {" ".join(k.casefold().split()): f for k, f in config.body_keys.items()}
    pairs: list[tuple[str, str]] = []
    for line in _own_lines(mail.text_body):
        match = _LINE.match(line)
        if not match:
            continue
        field = _field_for(match.group("key"), labels, config)
        value = _clean(match.group("value"))
        if field and value:
            pairs.append((field, value))

    if config.importance_field and mail.importance in config.importance_values:
        importance = config.importance_values[mail.importance]
        pairs.append((config.importance_field, importance))
    return pairs


def _field_for(
    label: str, labels: dict[str, str], config: FieldMapConfig
) -> str | None:
    """Return the field a body label maps to, if any.

    With `unmapped_keys: keep`, a plain label of up to three words that is
    not a mail header name becomes a snake_case field of its own.
    """
    folded = " ".join(label.casefold().split())
    if folded in labels:
        return labels[folded]
    keep = config.unmapped_keys == "keep" and _PLAIN_LABEL.match(folded)
    if not keep or folded in _HEADER_NAMES:
        return None
    return "_".join(folded.replace("-", " ").split())


def _own_lines(text: str) -> list[str]:
    """Return the lines a writer wrote, up to the quoted history."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _QUOTE_START.match(line) or (
            _HEADER_BLOCK.match(line) and _HEADER_NEXT.match(following)
        ):
            return lines[:index]
    return lines


def _clean(value: str) -> str:
    """Drop reply prefixes and ticket-key tags that a value may carry."""
    base, _ = strip_prefixes(value)
    return " ".join(_KEY_TAG.sub("", base).split())


def _fit(field: str, value: str, config: FieldMapConfig) -> str | FieldProblem:
    """Return the value the field takes, or the problem that stops it."""
    if len(value) > MAX_VALUE_LENGTH:
        reason = f"longer than {MAX_VALUE_LENGTH} characters"
        return FieldProblem(field=field, value=value[:MAX_VALUE_LENGTH], reason=reason)

    allowed = config.allowed_values.get(field)
    if allowed is None:
        return value
    for candidate in allowed:
        if candidate.casefold() == value.casefold():
            return candidate

    reason = f"not one of the allowed values: {', '.join(allowed)}"
    return FieldProblem(field=field, value=value, reason=reason)
