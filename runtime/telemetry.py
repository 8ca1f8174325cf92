"""Export log records to Application Insights when its connection string is set.

Only log records travel, through the OpenTelemetry logs pipeline: each unit
of work's line with its ids, outcome and duration as custom dimensions, and
of an exception only its type. Tracing, metrics, live metrics and every
automatic instrumentation stay off, because their spans record request URLs,
and Graph URLs name the mailbox.

Without the connection string nothing is imported: the webhook's cold start
pays for telemetry only where telemetry is wanted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from runtime.logs import pass_product_lines, quiet_libraries

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

CONNECTION_VARIABLE = "APPLICATIONINSIGHTS_CONNECTION_STRING"
# Set by the Bicep when the resource refuses its key: "ClientId=...;
# Authorization=AAD" names the managed identity that signs telemetry.
AUTHENTICATION_VARIABLE = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
# Every library the Azure Monitor distro instruments unless told not to.
INSTRUMENTATIONS = (
    "azure_sdk",
    "django",
    "fastapi",
    "flask",
    "httpx",
    "httpx2",
    "psycopg2",
    "requests",
    "urllib",
    "urllib3",
)

logger = logging.getLogger(__name__)
_configured = False


def configure_telemetry(environ: Mapping[str, str]) -> bool:
    """Send this process's log records to Application Insights, once.

    Return whether export is on. Without a connection string in `environ`
    this does nothing and imports no OpenTelemetry module.
    """
    global _configured
    connection = environ.get(CONNECTION_VARIABLE, "").strip()
    if not connection:
        return False
    if _configured:
        return True

    from azure.monitor.opentelemetry import configure_azure_monitor

    from runtime.telemetry_scrub import ExceptionTypeOnly

    switched_off = {name: {"enabled": False} for name in INSTRUMENTATIONS}
    configure_azure_monitor(
        connection_string=connection,
        credential=entra_credential(environ.get(AUTHENTICATION_VARIABLE, "")),
        disable_tracing=True,
        disable_metrics=True,
        enable_live_metrics=False,
        enable_performance_counters=False,
        instrumentation_options=switched_off,
        log_record_processors=[ExceptionTypeOnly()],
    )
    quiet_libraries()
    pass_product_lines()
    _configured = True
    logger.info("telemetry.configured", extra={"exporter": "azure_monitor"})
    return True


def entra_credential(authentication: str) -> TokenCredential | None:
    """Return the managed identity an authentication string names, if any."""
    parts: dict[str, str] = {}
    for part in authentication.split(";"):
        key, _, value = part.partition("=")
        parts[key.strip().lower()] = value.strip()
    if parts.get("authorization", "").upper() != "AAD":
        return None

    from azure.identity import ManagedIdentityCredential

    client_id = parts.get("clientid") or None
    return ManagedIdentityCredential(client_id=client_id)
