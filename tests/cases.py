"""Find the shared cases and corpus beside the repository, or skip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def case_dir(name: str) -> Path:
    """Return a case folder of ../shared/cases, or skip the test."""
    folder = SHARED / "cases" / name
    if not folder.is_dir():
        pytest.skip(f"../shared/cases/{name} is absent: only CI and developers have it")
    return folder


def case_json(name: str, file: str) -> Any:
    """Return a JSON file of a case."""
    return json.loads((case_dir(name) / file).read_text(encoding="utf-8"))


def corpus_dir() -> Path:
    """Return ../shared/corpus, or skip the test."""
    folder = SHARED / "corpus"
    if not (folder / "expected.jsonl").is_file():
        pytest.skip("../shared/corpus is absent: only CI and developers have it")
    return folder
