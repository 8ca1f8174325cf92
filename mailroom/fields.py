"""Field extraction: body `Key: Value` lines and priority headers become fields."""

from __future__ import annotations

import re

from mailroom.config import FieldMapConfig
from mailroom.field_labels import fold_label, fold_text, label_index
from mailroom.field_values import fit_value, rejected
from mailroom.models import FieldProblem, NormalizedMail, TicketFields
from mailroom.patterns import regex_error, search_ignoring_case
from mailroom.subjects import strip_prefixes

MAX_VALUE_LENGTH = 255

_LINE = re.compile(
    r"^[ \t]*(?P<key>[^\W\d_][\w .\-/'\u2019]{0,39}?)[ \t]*[:=][ \t]*(?P<value>.*)$"
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
_LEVEL_END = re.compile(r"[\s(]")


def extract_fields(mail: NormalizedMail, config: FieldMapConfig) -> TicketFields:
    """Map the body's `Key: Value` lines and the mail's priority to fields.

    Only the writer's own text counts: lines after the start of quoted
    history are ignored, and with `block_start` set only lines inside the
    block are read. A value that does not fit its field becomes a problem,
    not a field. For one field, a body line wins over the X-Priority header,
    which wins over the mail's importance.
    """
    candidates = [_fit(field, value, config) for field, value in _body(mail, config)]
    candidates += _priorities(mail, config)
    return _first_per_field(candidates)


def _first_per_field(candidates: list[TicketFields]) -> TicketFields:
    """Merge the candidates, keeping each field's first value or problems."""
    values: dict[str, str] = {}
    problems: list[FieldProblem] = []
    taken: set[str] = set()
    for found in candidates:
        fields = set(found.values) | {problem.field for problem in found.problems}
        if fields & taken:
            continue
        taken |= fields
        values |= found.values
        problems += found.problems
    return TicketFields(values=values, problems=problems)


def check_field_map(config: FieldMapConfig) -> list[str]:
    """Return a sentence for every setting of `config` that cannot work."""
    problems: list[str] = []
    for key, pattern in (("start", config.block_start), ("end", config.block_end)):
        error = regex_error(pattern)
        if error:
            problems.append(
                f"fields.block_{key} is not a valid regular expression "
                f"({error}); fix the pattern"
            )
    if config.block_end is not None and config.block_start is None:
        problems.append("fields.block_end is set without fields.block_start; set both")

    for field, kind in config.types.items():
        if kind == "choice" and not config.allowed_values.get(field):
            problems.append(
                f"fields.types.{field} is choice, but fields.allowed_values "
                f"lists no values for {field}; add them or make the field text"
            )
    return problems


def _body(mail: NormalizedMail, config: FieldMapConfig) -> list[tuple[str, str]]:
    """List the (field, value) pairs of the body's labelled lines, in order."""
    labels = label_index(config)
    pairs: list[tuple[str, str]] = []
    for line in _field_lines(mail.text_body, config):
        match = _LINE.match(line)
        if not match or _CONTROL.search(line) or _URL_VALUE.match(match["value"]):
            continue
        field = _field_for(match.group("key"), labels, config)
        value = _clean(match.group("value"))
        if field and value:
            pairs.append((field, value))
    return pairs


def _priorities(mail: NormalizedMail, config: FieldMapConfig) -> list[TicketFields]:
    """Map the X-Priority header and the importance through their tables."""
    found: list[TicketFields] = []
    header = (mail.header("X-Priority") or "").strip()
    if config.priority_field and header:
        found.append(_x_priority(config.priority_field, header, config))

    if config.importance_field and mail.importance in config.importance_values:
        importance = config.importance_values[mail.importance]
        found.append(_fit(config.importance_field, importance, config))
    return found


def _x_priority(field: str, header: str, config: FieldMapConfig) -> TicketFields:
    """Map an X-Priority value such as `1 (Highest)` by its leading level."""
    level = fold_text(_LEVEL_END.split(header, maxsplit=1)[0])
    for key, value in config.x_priority_values.items():
        if fold_text(key) == level:
            return _fit(field, value, config)

    levels = ", ".join(config.x_priority_values)
    return rejected(field, header, f"X-Priority is not one of the levels {levels}")


def _field_for(
    label: str, labels: dict[str, str], config: FieldMapConfig
) -> str | None:
    """Return the field a body label maps to, if any.

    With `unmapped_keys: keep`, a plain label of up to three words that is
    not a mail header name becomes a snake_case field of its own.
    """
    mapped = labels.get(fold_label(label))
    if mapped:
        return mapped
    folded = " ".join(label.casefold().split())
    keep = config.unmapped_keys == "keep" and _PLAIN_LABEL.match(folded)
    if not keep or folded in _HEADER_NAMES:
        return None
    return "_".join(folded.replace("-", " ").split())


def _field_lines(text: str, config: FieldMapConfig) -> list[str]:
    """Return the writer's own lines, or those inside the configured block."""
    lines = _own_lines(text, config)
    if config.block_start is None:
        return lines

    kept: list[str] = []
    inside = False
    for line in lines:
        if not inside:
            inside = _search(config.block_start, line)
        elif config.block_end is not None and _search(config.block_end, line):
            inside = False
        else:
            kept.append(line)
    return kept


def _own_lines(text: str, config: FieldMapConfig) -> list[str]:
    """Return the lines a writer wrote, up to the quoted history.

    A line that starts or ends the configured block is never taken for the
    start of quoted history, though `--- fields ---` looks like one.
    """
    lines = text.splitlines()
    for index, line in enumerate(lines):
        following = lines[index + 1] if index + 1 < len(lines) else ""
        quote = _QUOTE_START.match(line) or (
            _HEADER_BLOCK.match(line) and _HEADER_NEXT.match(following)
        )
        if quote and not _is_block_marker(line, config):
            return lines[:index]
    return lines


def _is_block_marker(line: str, config: FieldMapConfig) -> bool:
    """Tell whether a line of the writer's starts or ends the block."""
    if line.lstrip().startswith(">"):
        return False
    patterns = (config.block_start, config.block_end)
    return any(_search(pattern, line) for pattern in patterns if pattern)


def _search(pattern: str, line: str) -> bool:
    """Search a line, ignoring case; a bad pattern never matches.

    check_field_map reports bad patterns when the configuration is read.
    """
    return search_ignoring_case(pattern, line)


# A line with control characters is binary junk, never a field someone wrote.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# "https://..." splits like "Label: value"; a link is never a field.
_URL_VALUE = re.compile(r"^//\S")


def _clean(value: str) -> str:
    """Drop reply prefixes and ticket-key tags that a value may carry."""
    base, _ = strip_prefixes(value)
    return " ".join(_KEY_TAG.sub("", base).split())


def _fit(field: str, value: str, config: FieldMapConfig) -> TicketFields:
    """Return the value the field takes, or the problems that stop it."""
    if len(value) > MAX_VALUE_LENGTH:
        reason = f"longer than {MAX_VALUE_LENGTH} characters"
        return rejected(field, value[:MAX_VALUE_LENGTH], reason)
    return fit_value(field, value, config)
