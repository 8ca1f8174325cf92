"""One JSON line per record: Mailroom's event names, libraries' text."""

from __future__ import annotations

import json
import logging

from runtime.logs import JsonLines


def formatted(msg: str, *args: object, **fields: object) -> dict[str, object]:
    """Return a WARNING record of `msg` formatted as a JSON object."""
    record = logging.makeLogRecord(
        {"name": "test", "levelname": "WARNING", "msg": msg, "args": args, **fields}
    )
    line: dict[str, object] = json.loads(JsonLines().format(record))
    return line


def test_a_librarys_template_is_filled_in() -> None:
    """azure-identity's %-style warning reads as text, not as its template."""
    line = formatted("%s.%s failed: %s", "Credential", "get_token", "refused")
    assert line["event"] == "Credential.get_token failed: refused"


def test_an_event_name_and_its_fields_stay_as_they_are() -> None:
    """Mailroom's own line keeps its constant name; data stays in fields."""
    line = formatted("graph.retry", attempt=2)
    assert (line["event"], line["attempt"]) == ("graph.retry", 2)


def test_a_template_that_does_not_fit_its_arguments_is_kept() -> None:
    """A broken library call still yields a line, with the template."""
    assert formatted("%s and %s", "one")["event"] == "%s and %s"
