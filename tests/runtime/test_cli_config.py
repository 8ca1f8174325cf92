"""The `mailroom` command refuses a faulty configuration before doing anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from runtime.cli import main
from runtime.session import SAMPLES
from tests.runtime.config_files import config_file

MAIL = str(SAMPLES / "01-vpn-outage-high-priority.eml")


@pytest.mark.parametrize(
    "command",
    [["explain", MAIL], ["serve", "--port", "0"], ["subscriptions", "sync"]],
    ids=["explain", "serve", "sync"],
)
def test_a_configuration_that_watches_nothing_stops_each_command(
    tmp_path: Path, command: list[str]
) -> None:
    """`mailboxes: []` is refused by name: no traceback, no subscription dropped."""
    config = config_file(tmp_path, mailboxes=[], trackers={}, routes=[])
    result = CliRunner().invoke(main, ["--config", str(config), *command])
    assert result.exit_code == 1
    assert "  mailboxes: lists no mailbox; Mailroom needs" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data").exists()


def test_an_unknown_section_in_a_setting_blames_the_setting() -> None:
    """MAILROOM__nosuchsection__x is named, not the embedded default.yaml."""
    environ = {"MAILROOM__nosuchsection__x": "s3cr3t"}
    result = CliRunner().invoke(main, ["tickets"], env=environ)
    assert result.exit_code == 1
    assert "Error: the MAILROOM__ app settings have 1 problem(s):" in result.output
    assert "(from MAILROOM__nosuchsection__x)" in result.output
    assert "default.yaml" not in result.output and "s3cr3t" not in result.output
