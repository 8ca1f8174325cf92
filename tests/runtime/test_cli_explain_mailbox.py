"""`explain --mailbox` checks the address as `deliver --to` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runtime.cli import main
from runtime.session import SAMPLES
from tests.runtime.config_files import config_file

MAIL = SAMPLES / "03-reply-to-vpn-outlook-quote.eml"
UNWATCHED = "is not a watched mailbox in this configuration"


def explain(tmp_path: Path, mailbox: str) -> Result:
    """Run `mailroom explain MAIL --mailbox MAILBOX --json`."""
    config = str(config_file(tmp_path))
    args = ["--config", config, "explain", str(MAIL), "--mailbox", mailbox, "--json"]
    return CliRunner().invoke(main, args)


def test_a_malformed_mailbox_is_a_usage_error(tmp_path: Path) -> None:
    """`--mailbox 'bad addr'` is refused, naming the value and the form."""
    result = explain(tmp_path, "bad addr")

    assert result.exit_code == 2
    assert "'bad addr' is not a plain mail address" in result.output


@pytest.mark.parametrize(
    ("mailbox", "warned"),
    [("other@example.org", True), ("HelpDesk@example.org", False)],
)
def test_an_unwatched_mailbox_is_warned_about_on_stderr(
    tmp_path: Path, mailbox: str, warned: bool
) -> None:
    """The warning names the mailbox; the JSON on stdout stays JSON."""
    result = explain(tmp_path, mailbox)

    assert result.exit_code == 0, result.output
    assert (f"{mailbox} {UNWATCHED}" in result.stderr) is warned
    assert isinstance(json.loads(result.stdout), dict)
