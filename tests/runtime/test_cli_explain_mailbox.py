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


@pytest.mark.parametrize("mailbox", ["other@example.org", "other@example.com"])
def test_an_unwatched_mailbox_is_warned_about_as_a_json_line(
    tmp_path: Path, mailbox: str
) -> None:
    """The warning is one JSON line on stderr naming the mailbox; stdout is JSON."""
    result = explain(tmp_path, mailbox)

    assert result.exit_code == 0, result.output
    [line] = result.stderr.splitlines()
    warning = json.loads(line)
    assert warning["level"] == "WARNING"
    assert warning["event"] == "explain.mailbox_unwatched"
    assert warning["mailbox"] == mailbox
    assert (
        warning["detail"]
        == f"{mailbox} {UNWATCHED}; Mailroom will not process this mail"
    )
    assert isinstance(json.loads(result.stdout), dict)


def test_a_watched_mailbox_in_other_case_is_not_warned_about(tmp_path: Path) -> None:
    """Addresses compare without case: HelpDesk@ is the watched helpdesk@."""
    result = explain(tmp_path, "HelpDesk@example.org")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert isinstance(json.loads(result.stdout), dict)
