"""The Graph section of the configuration, the credential it names, and imports."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from azure.identity.aio import (
    CertificateCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
)
from pydantic import SecretStr

from adapters.mail.graph_client import build_credential
from mailroom.config import GraphConfig, parse_config
from mailroom.errors import ConfigurationError
from tests.certificates import pem_text

REPO = Path(__file__).resolve().parents[3]
MINIMAL = """
mailboxes: [{address: helpdesk@example.org}]
trackers: {local: {kind: local}}
routes: [{name: all, tools: [local]}]
mail: {kind: graph}
"""


def self_signed_pem(folder: Path) -> Path:
    """Write a throwaway certificate with its private key as one PEM file."""
    path = folder / "app.pem"
    path.write_text(pem_text(), encoding="ascii")
    return path


def close(credential: object) -> None:
    """Close an async credential that a test built."""
    asyncio.run(credential.close())  # type: ignore[attr-defined]


def test_kind_graph_needs_the_graph_section() -> None:
    """mail.kind graph without mail.graph fails at start-up, naming both keys."""
    with pytest.raises(ConfigurationError, match=r"mail\.graph section"):
        parse_config(MINIMAL)


def test_a_secret_and_a_certificate_together_are_refused() -> None:
    """The app signs in one way; both ways at once is a configuration error."""
    with pytest.raises(ValueError, match="client_secret and certificate_path"):
        GraphConfig(
            tenant_id="t",
            client_id="c",
            client_secret=SecretStr("s"),
            certificate_path="p",
        )


def test_the_secret_is_masked() -> None:
    """The client secret never shows in repr."""
    config = GraphConfig(
        tenant_id="t", client_id="c", client_secret=SecretStr("hunter22")
    )

    assert "hunter22" not in repr(config)


def test_a_client_secret_signs_in_as_the_app() -> None:
    """A client secret makes a ClientSecretCredential."""
    credential = build_credential(
        GraphConfig(tenant_id="t", client_id="c", client_secret=SecretStr("s"))
    )

    assert isinstance(credential, ClientSecretCredential)
    close(credential)


def test_a_certificate_signs_in_as_the_app(tmp_path: Path) -> None:
    """A certificate path makes a CertificateCredential."""
    pem = self_signed_pem(tmp_path)

    credential = build_credential(
        GraphConfig(tenant_id="t", client_id="c", certificate_path=str(pem))
    )

    assert isinstance(credential, CertificateCredential)
    close(credential)


def test_without_secret_or_certificate_the_managed_identity_signs_in() -> None:
    """Neither secret nor certificate: the (user-assigned) managed identity."""
    config = GraphConfig(tenant_id="t", client_id="c", managed_identity_client_id="m")

    credential = build_credential(config)

    assert isinstance(credential, ManagedIdentityCredential)
    close(credential)


def test_the_webhook_path_never_imports_msgraph() -> None:
    """function_app, the notification handler and the adapter module load no SDK."""
    script = (
        "import sys, function_app, handlers.notifications, handlers.lifecycle, "
        "adapters.mail.graph, runtime.wiring; "
        "assert 'msgraph' not in sys.modules, 'msgraph loaded'"
    )

    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True)

    assert done.returncode == 0, done.stderr.decode()
