"""The Bicep sets every app setting the code and its bindings read."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from mailroom.config import Config
from tests.infra import bicep

# Read by libraries, not by Mailroom's code: the identity DefaultAzureCredential
# signs in as, and the host's telemetry export with Entra authentication.
READ_BY_LIBRARIES = {
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}
# An identity-based connection is set by these suffixes instead of its name.
IDENTITY_SUFFIXES = ("__accountName", "__credential", "__clientId")


def config_has(path: list[str], model: type[BaseModel] = Config) -> bool:
    """Tell whether a MAILROOM__ path names a key of the configuration."""
    field = model.model_fields.get(path[0])
    if field is None:
        return False
    if len(path) == 1:
        return True
    for annotation in [field.annotation, *typing.get_args(field.annotation)]:
        if typing.get_origin(annotation) is dict:
            return True
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return config_has(path[1:], annotation)
    return False


def test_every_variable_the_code_reads_is_set() -> None:
    """MAILROOM_CONFIG and any other os.environ read has a setting."""
    read = bicep.settings_read_by_code() | READ_BY_LIBRARIES

    assert "MAILROOM_CONFIG" in read
    assert read - bicep.app_settings() == set()


def test_every_setting_outside_the_configuration_has_a_reader() -> None:
    """A non-MAILROOM__ setting is read by the code, a library or a binding."""
    connections = bicep.connections_in_bindings()
    read = bicep.settings_read_by_code() | READ_BY_LIBRARIES
    read |= {name + suffix for name in connections for suffix in IDENTITY_SUFFIXES}

    plain = {s for s in bicep.app_settings() if not s.startswith("MAILROOM__")}

    assert plain - read == set()


def test_binding_connections_are_identity_based() -> None:
    """AzureWebJobsStorage is an account name and a managed identity, no key."""
    settings = bicep.app_settings()

    for connection in bicep.connections_in_bindings():
        assert {connection + s for s in IDENTITY_SUFFIXES} <= settings
        assert connection not in settings


def test_overrides_name_real_configuration_keys() -> None:
    """Each MAILROOM__section__key setting is a key Config knows."""
    overrides = [s for s in bicep.app_settings() if s.startswith("MAILROOM__")]

    unknown = [s for s in overrides if not config_has(s.split("__")[1:])]

    assert overrides and unknown == []


def test_vault_references_name_secrets_the_template_writes() -> None:
    """No app setting points at a secret that is never stored."""
    written = bicep.vault_secrets()

    missing = {
        ref
        for ref in bicep.vault_references()
        if ref not in written and not ref.startswith("tracker-")
    }

    assert missing == set()


def test_the_template_creates_every_queue_the_bindings_use() -> None:
    """Stage queues and their poison queues exist before the first message."""
    text = bicep.RESOURCES.read_text(encoding="utf-8")

    for queue in bicep.queues_in_bindings():
        assert f"'{queue.removesuffix('-poison')}'" in text
    assert "'${name}-poison'" in text
