"""The embedded configuration written to a file, over a private data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from runtime import wiring


def config_file(tmp_path: Path, name: str = "config", **changes: Any) -> Path:
    """Write tmp_path/<name>.yaml: the embedded setup with `changes` over it.

    Its data folder is tmp_path/data, so every file a test writes through
    it stays in the test's own folder.
    """
    data = yaml.safe_load(wiring.DEFAULT_CONFIG.read_text())
    data["runtime"] = {"data_dir": str(tmp_path / "data")}
    data.update(changes)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path
