"""Azure SDK errors become Mailroom's, naming the setting, never the secret."""

from __future__ import annotations

import socket

import pytest
from azure.core.exceptions import HttpResponseError
from pydantic import SecretStr

from adapters.azure_storage import StorageAccount
from adapters.queues.azure import AzureQueues
from adapters.state.table import TableStore
from mailroom.config import StorageConfig, parse_config
from mailroom.errors import ConfigurationError, PermanentError, RetryableError
from runtime.wiring import DEFAULT_CONFIG
from tests.adapters.azure.azurite import ACCOUNT, ACCOUNT_KEY, Azurite

WRONG_KEY = "d3Jvbmcta2V5LXRoYXQtbXVzdC1uZXZlci1hcHBlYXI="


def closed_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def account_with(connection_string: str) -> StorageAccount:
    """Return an account that does not retry inside the SDK."""
    config = StorageConfig(
        kind="azure", connection_string=SecretStr(connection_string), prefix="err"
    )
    return StorageAccount(config, retries=0)


def test_an_unreachable_account_is_retryable() -> None:
    """Connection refused: try again later, and check the connection setting."""
    port = closed_port()
    account = account_with(
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};"
        f"AccountKey={ACCOUNT_KEY};QueueEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )

    with pytest.raises(RetryableError, match=r"storage\.connection_string"):
        AzureQueues(account).send("deliveries", "x")


@pytest.mark.slow
def test_a_wrong_key_is_permanent_and_never_echoed(azurite: Azurite) -> None:
    """Refused credentials say what to fix without repeating the key."""
    account = account_with(azurite.connection_string.replace(ACCOUNT_KEY, WRONG_KEY))

    with pytest.raises(PermanentError) as caught:
        TableStore(account)

    assert "storage.connection_string" in str(caught.value)
    assert WRONG_KEY not in str(caught.value)


def test_throttling_is_retryable_after_the_servers_delay() -> None:
    """A 503 is retryable; other 4xx are permanent."""
    account = account_with("UseDevelopmentStorage=true")
    busy = HttpResponseError(message="busy")
    busy.status_code = 503
    bad = HttpResponseError(message="bad")
    bad.status_code = 400

    with pytest.raises(RetryableError), account.translate("queue", "send"):
        raise busy
    with pytest.raises(PermanentError, match="400"), account.translate("blob", "put"):
        raise bad


def test_identity_errors_name_the_role_to_grant() -> None:
    """Without a connection string the fix is an RBAC role on the account."""
    config = StorageConfig(kind="azure", account_name="mailroomprod")
    account = StorageAccount(config)
    denied = HttpResponseError(message="denied")
    denied.status_code = 403

    expected = pytest.raises(PermanentError, match="Storage Table Data Contributor")
    with expected, account.translate("table", "read"):
        raise denied


def test_azure_storage_needs_one_way_to_connect() -> None:
    """storage.kind azure without a connection string or account fails at start."""
    text = DEFAULT_CONFIG.read_text() + "\nstorage:\n  kind: azure\n"

    with pytest.raises(ConfigurationError, match=r"storage\.account_name"):
        parse_config(text)
