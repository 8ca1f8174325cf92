"""One Azure Storage account, as the queue, table and blob adapters reach it.

Locally (Azurite, a development account) the account is given by its
connection string. In Azure it is given by name, and the app signs in with
its managed identity through DefaultAzureCredential, the same identity the
Functions host uses for its queue triggers. Errors of the Azure SDK become
Mailroom's own here: retryable for throttling, server errors and network
trouble; permanent for refused credentials, missing roles and bad requests.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from mailroom.config import StorageConfig
from mailroom.errors import ConfigurationError, PermanentError, RetryableError

logger = logging.getLogger(__name__)

Service = Literal["blob", "queue", "table"]
RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}
ROLES: dict[Service, str] = {
    "blob": "Storage Blob Data Contributor",
    "queue": "Storage Queue Data Contributor",
    "table": "Storage Table Data Contributor",
}
# Azure's own retries, before an error reaches Mailroom's queue retries.
SDK_RETRIES = 3


class StorageAccount:
    """How to reach one storage account: by connection string or by identity."""

    def __init__(self, config: StorageConfig, retries: int = SDK_RETRIES) -> None:
        if config.connection_string is None and config.account_name is None:
            raise ConfigurationError(
                "storage.kind is 'azure' but neither storage.connection_string "
                "nor storage.account_name is set; set one of them"
            )
        self.config = config
        self.options: dict[str, Any] = {"retry_total": retries}
        self._credential: Any = None

    @property
    def setting(self) -> str:
        """Return the configuration key that says how to connect."""
        if self.config.connection_string is not None:
            return "storage.connection_string"
        return "storage.account_name"

    def connection_string(self) -> str | None:
        """Return the connection string, if the account is given by one."""
        secret = self.config.connection_string
        return None if secret is None else secret.get_secret_value()

    def endpoint(self, service: Service) -> str:
        """Return the account's public endpoint of a service."""
        return f"https://{self.config.account_name}.{service}.core.windows.net"

    def credential(self) -> Any:
        """Return the identity credential, one per account for its token cache."""
        if self._credential is None:
            from azure.identity import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        return self._credential

    def name(self, base: str, separator: str = "-") -> str:
        """Return a queue, table or container name with the prefix applied."""
        prefix = self.config.prefix
        return f"{prefix}{separator}{base}" if prefix else base

    @contextmanager
    def translate(self, service: Service, what: str) -> Iterator[None]:
        """Turn the SDK's errors while doing `what` into Mailroom's own."""
        try:
            yield
        except ClientAuthenticationError as exc:
            raise PermanentError(self._refused(service, what, exc)) from exc
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise RetryableError(
                f"could not reach Azure {service} storage to {what} "
                f"({type(exc).__name__}); check {self.setting} and the network",
                retry_after=5.0,
            ) from exc
        except HttpResponseError as exc:
            raise self._http_error(service, what, exc) from exc

    def _http_error(
        self, service: Service, what: str, exc: HttpResponseError
    ) -> PermanentError | RetryableError:
        status = exc.status_code or 0
        code = getattr(exc, "error_code", None) or "no error code"
        if status in RETRYABLE_STATUS:
            return RetryableError(
                f"Azure {service} storage answered {status} ({code}) to {what}, "
                "a failure that usually passes",
                retry_after=retry_after(exc),
            )
        if status in (401, 403):
            return PermanentError(self._refused(service, what, exc))
        return PermanentError(
            f"Azure {service} storage refused to {what} with {status} ({code}); "
            "this request cannot succeed as it is"
        )

    def _refused(self, service: Service, what: str, exc: Exception) -> str:
        code = getattr(exc, "error_code", None) or type(exc).__name__
        if self.config.connection_string is not None:
            fix = "check the account key in storage.connection_string"
        else:
            fix = (
                f"give the app's managed identity the role '{ROLES[service]}' on "
                "the account named by storage.account_name (and set AZURE_CLIENT_ID "
                "for a user-assigned identity)"
            )
        return f"Azure {service} storage refused to {what} ({code}); {fix}"


def retry_after(exc: HttpResponseError) -> float | None:
    """Return the Retry-After of a throttled answer, in seconds, if it has one."""
    headers = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None
