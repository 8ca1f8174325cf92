"""Start-up checks of a configuration that need the rules it configures."""

from __future__ import annotations

from mailroom.acknowledgement import check_templates
from mailroom.config import Config
from mailroom.fields import check_field_map
from mailroom.routing import check_routes


def check_config(config: Config) -> dict[str, list[str]]:
    """Return, per section, a sentence for each pattern or template that fails."""
    return {
        "routes": check_routes(config.routes),
        "fields": check_field_map(config.fields),
        "acknowledgement": check_templates(config.acknowledgement),
    }
