"""App settings override the configuration file, as in Azure."""

from __future__ import annotations

from runtime.config_source import DEFAULT_CONFIG, apply_overrides, load_config


def test_a_setting_overrides_one_key_of_the_file() -> None:
    """MAILROOM__runtime__public_url replaces that key only."""
    environ = {"MAILROOM__runtime__public_url": "https://mailroom.example.org"}
    config = load_config(DEFAULT_CONFIG, environ)
    assert config.runtime.public_url == "https://mailroom.example.org"
    assert config.mailboxes[0].address == "helpdesk@example.org"


def test_json_values_set_whole_sections() -> None:
    """A value starting with `[` or `{` is read as JSON."""
    environ = {"MAILROOM__mailboxes": '[{"address": "it@example.org"}]'}
    assert "it@example.org" in apply_overrides("mailboxes: []\n", environ)


def test_other_variables_are_ignored() -> None:
    """Only MAILROOM__ names change anything."""
    assert apply_overrides("a: 1\n", {"PATH": "/bin"}) == "a: 1\n"
