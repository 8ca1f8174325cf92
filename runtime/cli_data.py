"""The data folder as the commands see it: read ones never create it."""

from __future__ import annotations

import click

from mailroom.config import Config, LocalTrackerConfig
from runtime import wiring


def require_data(config: Config) -> None:
    """Stop with a clear message when there is no data folder to read."""
    folder = wiring.data_dir(config)
    if not folder.is_dir():
        raise click.ClickException(
            f"there is no data folder at {folder.resolve()}; run `mailroom demo` "
            "or `mailroom serve` here first, or set runtime.data_dir"
        )


def uses_data_folder(config: Config) -> bool:
    """Tell whether the mail system, the storage or a tool is in the data folder."""
    return (
        config.mail.kind == "local"
        or config.storage.kind != "azure"
        or any(isinstance(s, LocalTrackerConfig) for s in config.trackers.values())
    )
