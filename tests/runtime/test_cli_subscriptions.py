"""`mailroom subscriptions` says what it did, and reads no data folder it lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from runtime.cli import main
from runtime.local_host import LocalHost
from tests.runtime.config_files import config_file


def subscriptions(config: Path, *args: str) -> Result:
    """Run `mailroom subscriptions ARGS` over `config`."""
    return CliRunner().invoke(main, ["--config", str(config), "subscriptions", *args])


def test_deleting_unknown_ids_says_so_and_fails(tmp_path: Path) -> None:
    """Two ids that name nothing: two `not found` lines and status 1."""
    config = config_file(tmp_path)
    (tmp_path / "data").mkdir()
    result = subscriptions(config, "delete", "nope-again", "fake")

    assert result.exit_code == 1
    assert "not found nope-again\nnot found fake\n" in result.output
    assert "deleted" not in result.output
    assert "2 of 2 id(s) name no subscription" in result.output


def test_a_known_and_an_unknown_id_delete_one_and_fail(
    tmp_path: Path, host: LocalHost
) -> None:
    """The real subscription goes; the made-up id is named as not found."""
    config = config_file(tmp_path)  # the data folder the host runs on
    before = subscriptions(config, "list").output.splitlines()
    real = before[0].split()[0]

    result = subscriptions(config, "delete", real, "nope-again")

    assert result.exit_code == 1
    assert f"deleted {real}\nnot found nope-again\n" in result.output
    after = subscriptions(config, "list").output.splitlines()
    assert after == before[1:]


@pytest.mark.parametrize("args", [["list"], ["delete", "--all"], ["sync"]])
def test_without_a_data_folder_each_command_stops_and_creates_none(
    tmp_path: Path, args: list[str]
) -> None:
    """No data folder: the folder is named, nothing is made, `tickets` agrees."""
    config = config_file(tmp_path)

    result = subscriptions(config, *args)

    assert result.exit_code == 1
    data = tmp_path / "data"
    assert f"Error: there is no data folder at {data}" in result.output
    assert not data.exists()
    tickets = CliRunner().invoke(main, ["--config", str(config), "tickets"])
    assert "there is no data folder" in tickets.output
