"""Azurite for the whole session, and a fresh set of names for each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from adapters.azure_storage import StorageAccount
from mailroom.config import StorageConfig
from tests.adapters.azure.azurite import Azurite, start_azurite


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    """Start Azurite once; fail (never skip) when it is not installed."""
    try:
        running = start_azurite(tmp_path_factory.mktemp("azurite"))
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield running
    running.stop()


@pytest.fixture
def storage(azurite: Azurite) -> StorageConfig:
    """Return storage settings whose queues, table and container are new."""
    return StorageConfig(
        kind="azure",
        connection_string=SecretStr(azurite.connection_string),
        prefix="t" + uuid.uuid4().hex[:12],
    )


@pytest.fixture
def account(storage: StorageConfig) -> StorageAccount:
    """Return the account of this test's storage settings."""
    return StorageAccount(storage)
