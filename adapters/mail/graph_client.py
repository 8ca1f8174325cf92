"""Build the Graph SDK's request adapter: credential, middleware, base URL.

Only the Graph adapter imports this module, and only once it makes its first
call: the SDK is large, and the webhook path must never load it.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from azure.core.credentials_async import AsyncTokenCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware.middleware import BaseMiddleware
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_request_adapter import options as sdk_options
from msgraph_core import GraphClientFactory
from msgraph_core.middleware import GraphTelemetryHandler
from msgraph_core.middleware.options import GraphTelemetryHandlerOption

from mailroom.config import GraphConfig, decode_certificate
from mailroom.errors import ConfigurationError

IMMUTABLE_ID = 'IdType="ImmutableId"'
TIMEOUT = httpx.Timeout(60.0, connect=10.0)

HttpFactory = Callable[[], httpx.AsyncClient]


class PreferImmutableIds(BaseMiddleware):
    """Ask for immutable ids on every request, next and delta links included.

    Graph honours `Prefer: IdType="ImmutableId"` per request only; without
    it a message's id changes when it moves to another folder.
    """

    async def send(
        self, request: httpx.Request, transport: httpx.AsyncBaseTransport
    ) -> httpx.Response:
        """Add the preference unless the request states it already."""
        stated = ",".join(request.headers.get_list("Prefer"))
        if IMMUTABLE_ID.lower() not in stated.lower():
            request.headers["Prefer"] = ", ".join(filter(None, [stated, IMMUTABLE_ID]))
        return await super().send(request, transport)


def build_credential(config: GraphConfig) -> AsyncTokenCredential:
    """Return the credential the configuration names (see GraphConfig)."""
    from azure.identity.aio import ClientSecretCredential, ManagedIdentityCredential

    if config.client_secret is not None:
        return ClientSecretCredential(
            config.tenant_id, config.client_id, config.client_secret.get_secret_value()
        )
    if config.certificate is not None or config.certificate_path is not None:
        return build_certificate_credential(config)
    return ManagedIdentityCredential(client_id=config.managed_identity_client_id)


def build_certificate_credential(config: GraphConfig) -> AsyncTokenCredential:
    """Return a CertificateCredential over the certificate text or file.

    azure-identity reads the key as it builds the credential, so a
    certificate it cannot use fails here, naming the key that holds it.
    """
    from azure.identity.aio import CertificateCredential

    text = config.certificate
    key = "certificate" if text is not None else "certificate_path"
    try:
        if text is not None:
            data = decode_certificate(text.get_secret_value())
            return CertificateCredential(
                config.tenant_id, config.client_id, certificate_data=data
            )
        return CertificateCredential(
            config.tenant_id, config.client_id, certificate_path=config.certificate_path
        )
    except (OSError, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"mail.graph.{key} could not be read as a certificate with its "
            f"private key ({type(exc).__name__}); check that it holds both and "
            "that the key is RSA and unencrypted (see docs/graph-setup.md)"
        ) from exc


def build_http(config: GraphConfig, http: HttpFactory | None) -> httpx.AsyncClient:
    """Return the HTTP client with the SDK's middleware, less its retry handler.

    Mailroom bounds throttling waits itself (see graph_session): the SDK's
    handler would sleep up to 180 s inside a queue trigger.
    """
    client = http() if http is not None else httpx.AsyncClient(timeout=TIMEOUT)
    options = dict(sdk_options)
    options[RetryHandlerOption.get_key()] = RetryHandlerOption(
        delay=0, max_retries=0, should_retry=False
    )
    middleware = KiotaClientFactory.get_default_middleware(options)
    middleware.insert(0, PreferImmutableIds())
    telemetry = options[GraphTelemetryHandlerOption.get_key()]
    assert isinstance(telemetry, GraphTelemetryHandlerOption)
    middleware.append(GraphTelemetryHandler(options=telemetry))
    wrapped: httpx.AsyncClient = GraphClientFactory.create_with_custom_middleware(
        middleware, client=client
    )
    return wrapped


def build_adapter(
    config: GraphConfig, credential: AsyncTokenCredential, client: httpx.AsyncClient
) -> GraphRequestAdapter:
    """Return the SDK's request adapter over `client`, tokens for Graph only."""
    host = urlsplit(config.base_url).hostname or ""
    auth = AzureIdentityAuthenticationProvider(credential, allowed_hosts=[host])
    adapter = GraphRequestAdapter(auth, client=client)
    adapter.base_url = config.base_url.rstrip("/")
    return adapter
