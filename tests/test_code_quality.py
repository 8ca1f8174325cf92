"""The code keeps the project's own rules: ruff and mypy --strict pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run(*command: str) -> subprocess.CompletedProcess[str]:
    """Run a tool of the virtual environment in the repository."""
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=REPO, capture_output=True, text=True
    )


def test_ruff_finds_nothing() -> None:
    """`ruff check` passes on the whole repository."""
    result = run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout


def test_everything_is_formatted() -> None:
    """`ruff format --check` passes on the whole repository."""
    result = run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout


def test_the_product_code_passes_mypy_strict() -> None:
    """`mypy --strict` passes on the product packages and function_app.py."""
    result = run("mypy")
    assert result.returncode == 0, result.stdout
