"""One JSON line per record: Mailroom's event names, libraries' text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from runtime.logs import JsonLines, configure_command_logging


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


@pytest.fixture
def command_stderr() -> Iterator[io.StringIO]:
    """Configure logging as a command run by hand does; restore it after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_command_logging(stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_a_command_shows_no_library_warning(command_stderr: io.StringIO) -> None:
    """azure-identity's sign-in warning is left to the command's own message."""
    logging.getLogger("azure.identity.aio").warning("%s failed: %s", "get_token", "x")
    assert command_stderr.getvalue() == ""


def test_a_command_shows_mailroom_warnings_and_library_errors(
    command_stderr: io.StringIO,
) -> None:
    """Mailroom's own warning and a library's error each make one JSON line."""
    logging.getLogger("handlers.subscriptions").warning("subscriptions.delta_expired")
    logging.getLogger("asyncio").error("Unclosed client session")
    lines = [json.loads(line) for line in command_stderr.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "subscriptions.delta_expired",
        "Unclosed client session",
    ]
