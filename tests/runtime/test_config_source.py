"""App settings override the configuration file, as in Azure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailroom.errors import ConfigurationError
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


def test_broken_json_names_the_setting_and_hides_the_value() -> None:
    """A setting that opens like JSON but breaks is named, never quoted."""
    environ = {"MAILROOM__trackers": "{s3cr3t"}
    with pytest.raises(ConfigurationError) as caught:
        load_config(DEFAULT_CONFIG, environ)
    assert "MAILROOM__trackers is not valid JSON" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_a_key_twice_in_setting_json_names_the_key_not_the_value() -> None:
    """JSON keeps the last of two keys; a setting is refused as the file is."""
    tracker = '{"kind": "local", "project": "s3cr3t!", "project": "HELP"}'
    environ = {"MAILROOM__trackers": f'{{"local": {tracker}}}'}
    with pytest.raises(ConfigurationError) as caught:
        load_config(DEFAULT_CONFIG, environ)
    assert str(caught.value) == (
        "the app setting MAILROOM__trackers gives a key more than once in one "
        "JSON object ('project'); only one can count, so keep one of each"
    )


def test_every_key_twice_in_setting_json_is_named_at_once() -> None:
    """Repeats at two depths, and in a list, are one problem naming each key."""
    routes = '[{"name": "a", "name": "b", "tools": ["local"], "tools": []}]'
    with pytest.raises(ConfigurationError) as caught:
        load_config(DEFAULT_CONFIG, {"MAILROOM__routes": routes})
    assert "JSON object ('name', 'tools');" in str(caught.value)


def test_a_bad_value_is_blamed_on_its_setting_not_the_file() -> None:
    """The problem names the setting, and the heading does not name the file."""
    environ = {"MAILROOM__mail__kind": "s3cr3t"}
    with pytest.raises(ConfigurationError) as caught:
        load_config(DEFAULT_CONFIG, environ)
    message = str(caught.value)
    assert message.startswith("the MAILROOM__ app settings have 1 problem(s)")
    assert "mail.kind: " in message
    assert "(from MAILROOM__mail__kind)" in message
    assert "s3cr3t" not in message


def test_a_failed_check_names_the_settings_of_its_section() -> None:
    """A route pattern set by MAILROOM__routes is blamed on that setting."""
    routes = [{"name": "r", "match": {"subject": "(["}, "tools": ["local"]}]
    environ = {"MAILROOM__routes": json.dumps(routes)}
    with pytest.raises(ConfigurationError, match=r"\(from MAILROOM__routes\)"):
        load_config(DEFAULT_CONFIG, environ)


def test_a_section_only_a_setting_brings_is_blamed_on_it() -> None:
    """MAILROOM__nosuchsection__x is named; the embedded file is not blamed."""
    environ = {"MAILROOM__nosuchsection__x": "s3cr3t"}
    with pytest.raises(ConfigurationError) as caught:
        load_config(DEFAULT_CONFIG, environ)
    message = str(caught.value)
    assert message.startswith("the MAILROOM__ app settings have 1 problem(s):")
    assert "nosuchsection: is not a section of the configuration" in message
    assert message.endswith("(from MAILROOM__nosuchsection__x)")
    assert str(DEFAULT_CONFIG) not in message and "s3cr3t" not in message


def test_a_setting_inside_a_faulty_section_is_named_in_part() -> None:
    """A check of a whole section names the settings that set keys inside it."""
    environ = {"MAILROOM__fields__block_end": "^--$"}
    with pytest.raises(ConfigurationError) as caught:
        load_config(DEFAULT_CONFIG, environ)
    message = str(caught.value)
    assert message.startswith(f"{DEFAULT_CONFIG} and the MAILROOM__ app settings")
    assert message.endswith("set both (in part from MAILROOM__fields__block_end)")


def test_a_problem_in_the_file_still_names_the_file(tmp_path: Path) -> None:
    """Without a setting behind it, a bad key is the file's."""
    path = tmp_path / "mailroom.yaml"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    path.write_text(text.replace("kind: local", "kind: other", 1), encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"mailroom\.yaml has 1 problem"):
        load_config(path, {"MAILROOM__runtime__public_url": "https://x.example"})


def test_a_key_twice_in_the_file_is_refused_under_settings_too(
    tmp_path: Path,
) -> None:
    """Applying app settings does not first keep the last of two keys."""
    path = tmp_path / "mailroom.yaml"
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    path.write_text(text + "\ntrackers: {}\n", encoding="utf-8")
    line = len(text.splitlines()) + 2
    environ = {"MAILROOM__runtime__public_url": "https://x.example"}
    with pytest.raises(ConfigurationError) as caught:
        load_config(path, environ)
    assert str(caught.value).startswith(
        f"{path} is not valid YAML at line {line}, column 1: the key "
        "'trackers' is given twice in one mapping, at lines "
    )


def test_a_setting_inside_a_plain_value_is_named() -> None:
    """MAILROOM__mail__kind__x cannot apply: mail.kind holds text."""
    environ = {"MAILROOM__mail__kind__x": "1"}
    with pytest.raises(ConfigurationError, match="MAILROOM__mail__kind__x reaches"):
        load_config(DEFAULT_CONFIG, environ)


def test_a_setting_inside_a_list_says_to_set_the_list() -> None:
    """Mailboxes are a list: a setting must replace it whole, as JSON."""
    environ = {"MAILROOM__mailboxes__0__address": "it@example.org"}
    with pytest.raises(ConfigurationError, match="as JSON, in MAILROOM__mailboxes"):
        load_config(DEFAULT_CONFIG, environ)


def test_an_empty_level_in_a_name_is_refused() -> None:
    """MAILROOM____x has no section: the name is wrong, and said so."""
    with pytest.raises(ConfigurationError, match="MAILROOM____x has an empty level"):
        load_config(DEFAULT_CONFIG, {"MAILROOM____x": "1"})


def test_an_empty_value_is_text() -> None:
    """An empty setting is an empty string, not JSON that fails to parse."""
    assert "public_url: ''" in apply_overrides("a: 1\n", {"MAILROOM__public_url": ""})
