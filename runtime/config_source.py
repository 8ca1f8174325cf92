"""Where the configuration comes from: a YAML file, then app settings.

In Azure the app settings carry what differs per deployment, as
`MAILROOM__<section>__<key>` (double underscores between levels, the same
convention the Functions host uses); they override the file's values.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mailroom.config import Config, parse_config

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")
CONFIG_VARIABLE = "MAILROOM_CONFIG"
OVERRIDE_PREFIX = "MAILROOM__"
APP_ROOT = Path(__file__).resolve().parents[1]


def load_config(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Read and validate a configuration file, with app-setting overrides."""
    source = path or DEFAULT_CONFIG
    text = source.read_text(encoding="utf-8")
    if environ is not None:
        text = apply_overrides(text, environ)
    return parse_config(text, str(source))


def config_from_environment() -> Config:
    """Read the file MAILROOM_CONFIG names (or the defaults), then overrides."""
    return load_config(config_path(os.environ.get(CONFIG_VARIABLE)), os.environ)


def config_path(named: str | None) -> Path | None:
    """Resolve MAILROOM_CONFIG; a relative name starts at the app's folder."""
    if not named:
        return None
    path = Path(named)
    return path if path.is_absolute() or path.exists() else APP_ROOT / path


def apply_overrides(text: str, environ: Mapping[str, str]) -> str:
    """Return configuration text with MAILROOM__<section>__<key> values set.

    Shorter paths apply first; a value starting with `[` or `{` is JSON,
    anything else is text.
    """
    names = [name for name in environ if name.startswith(OVERRIDE_PREFIX)]
    if not names:
        return text
    try:
        data: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        # parse_config reports where the file breaks, without quoting it.
        return text
    for name in sorted(names, key=lambda n: n.count("__")):
        *parents, leaf = name.removeprefix(OVERRIDE_PREFIX).split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        value = environ[name]
        node[leaf] = json.loads(value) if value.lstrip()[:1] in "[{" else value
    return yaml.safe_dump(data, allow_unicode=True)
