"""Start-up checks of a configuration that need the rules it configures."""

from __future__ import annotations

from mailroom.acknowledgement import check_templates
from mailroom.config import Config
from mailroom.fields import check_field_map
from mailroom.routing import check_routes


def check_config(config: Config) -> list[str]:
    """Return a sentence for every pattern or template that cannot work."""
    return [
        *check_routes(config.routes),
        *check_field_map(config.fields),
        *check_templates(config.acknowledgement),
    ]
