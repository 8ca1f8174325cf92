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
from mailroom.config_yaml import load_yaml
from mailroom.errors import ConfigurationError

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")
CONFIG_VARIABLE = "MAILROOM_CONFIG"
OVERRIDE_PREFIX = "MAILROOM__"
APP_ROOT = Path(__file__).resolve().parents[1]


def load_config(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """Read and validate a configuration file, with app-setting overrides."""
    source = path or DEFAULT_CONFIG
    settings = environ or {}
    text = source.read_text(encoding="utf-8")
    merged = apply_overrides(text, settings)
    return parse_config(merged, str(source), overridden_keys(settings, text))


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
    anything else is text. A setting that cannot apply raises a
    ConfigurationError naming it, never quoting its value.
    """
    names = [name for name in environ if name.startswith(OVERRIDE_PREFIX)]
    if not names:
        return text
    try:
        data: Any = load_yaml(text) or {}
    except yaml.YAMLError:
        # parse_config reports where the file breaks, without quoting it.
        return text
    if not isinstance(data, dict):
        return text
    for name in sorted(names, key=lambda n: n.count("__")):
        *parents, leaf = key_path(name)
        node = data
        for depth, part in enumerate(parents, start=1):
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigurationError(_not_a_section(name, parents[:depth], node))
        node[leaf] = read_value(name, environ[name])
    return yaml.safe_dump(data, allow_unicode=True)


def overridden_keys(environ: Mapping[str, str], text: str) -> dict[str, str]:
    """Map each dotted key an app setting sets to the setting's name.

    A section that the file `text` lacks is mapped too, to the settings that
    brought it, so that a problem with the section itself names them.
    """
    names = sorted(name for name in environ if name.startswith(OVERRIDE_PREFIX))
    keys = {".".join(key_path(name)): name for name in names}
    file_data = _read_quietly(text)
    brought: dict[str, list[str]] = {}
    for name in names:
        path = key_path(name)
        for depth in range(1, len(path)):
            if not _holds(file_data, path[:depth]):
                brought.setdefault(".".join(path[:depth]), []).append(name)
    return {key: ", ".join(found) for key, found in brought.items()} | keys


def _read_quietly(text: str) -> Any:
    """Return the YAML data of `text`, or None where it does not parse."""
    try:
        return load_yaml(text)
    except yaml.YAMLError:
        return None


def _holds(data: Any, path: list[str]) -> bool:
    """Tell whether `data` has a value at `path`."""
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def key_path(name: str) -> list[str]:
    """Split MAILROOM__<section>__<key> into the key's path."""
    parts = name.removeprefix(OVERRIDE_PREFIX).split("__")
    if not all(parts):
        raise ConfigurationError(
            f"the app setting {name} has an empty level in its name; name it "
            "MAILROOM__<section>__<key>, with two underscores between levels"
        )
    return parts


def read_value(name: str, value: str) -> Any:
    """Read a setting's value: JSON if it starts with `[` or `{`, else text."""
    if value.lstrip()[:1] not in ("[", "{"):
        return value
    repeated: list[str] = []
    try:
        data = json.loads(value, object_pairs_hook=lambda pairs: keep(pairs, repeated))
    except json.JSONDecodeError as exc:
        # exc.doc holds the value, maybe a secret: report msg and place only.
        raise ConfigurationError(
            f"the app setting {name} is not valid JSON ({exc.msg}, at line "
            f"{exc.lineno}, column {exc.colno}); a value starting with [ or {{ "
            "is read as JSON, so fix the JSON or set the keys one by one"
        ) from None
    if repeated:
        keys = ", ".join(map(repr, dict.fromkeys(repeated)))
        raise ConfigurationError(
            f"the app setting {name} gives a key more than once in one JSON "
            f"object ({keys}); only one can count, so keep one of each"
        )
    return data


def keep(pairs: list[tuple[str, Any]], repeated: list[str]) -> dict[str, Any]:
    """Build a JSON object, noting in `repeated` each key it holds twice.

    JSON, like PyYAML, would keep the last of two equal keys without a
    word; the configuration file refuses them, and so do app settings.
    """
    data: dict[str, Any] = {}
    for key, item in pairs:
        if key in data:
            repeated.append(key)
        data[key] = item
    return data


def _not_a_section(name: str, path: list[str], held: object) -> str:
    """Say that a setting reaches into a key that holds no section."""
    key = ".".join(path)
    whole = f"{OVERRIDE_PREFIX}{'__'.join(path)}"
    fix = f"set {key} itself in {whole}"
    if isinstance(held, list):
        fix = f"set the whole list, as JSON, in {whole}"
    return f"the app setting {name} reaches inside {key}, which is not a section; {fix}"
