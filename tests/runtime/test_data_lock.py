"""One host per data folder, across processes, and none left after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.data_lock import DataFolderBusyError, hold_data_folder

HOLD = """
import sys, time
from pathlib import Path
from runtime.data_lock import hold_data_folder
with hold_data_folder(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""
REPO = Path(__file__).resolve().parents[2]


def holder(data_dir: Path) -> subprocess.Popen[str]:
    """Start a process that holds `data_dir` until killed."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_holder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    """The message names the other process and the setting to change."""
    process = holder(tmp_path)
    try:
        with pytest.raises(DataFolderBusyError) as refused, hold_data_folder(tmp_path):
            pass
    finally:
        process.kill()
        process.wait()
    message = str(refused.value)
    assert f"another mailroom serve (process {process.pid})" in message
    assert str(tmp_path) in message and "runtime.data_dir" in message


def test_a_killed_holder_leaves_the_folder_free(tmp_path: Path) -> None:
    """SIGKILL drops the lock: the next host starts without help."""
    process = holder(tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.1)
    with hold_data_folder(tmp_path):
        assert (tmp_path / "serve.pid").read_text().strip() == str(os.getpid())
    assert not (tmp_path / "serve.pid").exists()


def test_the_same_folder_can_be_held_again_after_release(tmp_path: Path) -> None:
    """A host that stopped cleanly lets the next one in."""
    with hold_data_folder(tmp_path):
        pass
    with hold_data_folder(tmp_path):
        pass
