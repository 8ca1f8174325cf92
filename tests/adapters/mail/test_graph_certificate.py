"""mail.graph.certificate: PEM text or base64 PKCS#12, kept as a secret."""

from __future__ import annotations

import asyncio
import base64
import textwrap

import pytest
import yaml
from azure.identity.aio import CertificateCredential
from pydantic import SecretStr

from adapters.mail.graph_client import build_credential
from mailroom.config import Config, GraphConfig, decode_certificate, parse_config
from mailroom.errors import ConfigurationError
from tests.certificates import (
    PASSWORD,
    certificate_pem,
    key_pem,
    pem_text,
    pkcs12_base64,
)

SECRET = "hunter22-client-secret"


def with_certificate(text: str) -> GraphConfig:
    """Return a Graph section that signs in with the certificate `text`."""
    return GraphConfig(tenant_id="t", client_id="c", certificate=SecretStr(text))


def parse_graph(**graph: str) -> Config:
    """Parse a whole configuration whose mail.graph holds these keys."""
    data = {
        "mailboxes": [{"address": "helpdesk@example.org"}],
        "trackers": {"local": {"kind": "local"}},
        "routes": [{"name": "all", "tools": ["local"]}],
        "mail": {"kind": "graph", "graph": {"tenant_id": "t", "client_id": "c"}},
    }
    data["mail"]["graph"] |= graph  # type: ignore[index]
    return parse_config(yaml.safe_dump(data))


def built(config: GraphConfig) -> object:
    """Build the credential of `config`, close it, and return it."""
    credential = build_credential(config)
    asyncio.run(credential.close())
    return credential


def test_pem_text_signs_in_with_the_certificate() -> None:
    """Key and certificate as one PEM text make a CertificateCredential."""
    credential = built(with_certificate(pem_text()))

    assert isinstance(credential, CertificateCredential)


def test_base64_pkcs12_signs_in_with_the_certificate() -> None:
    """The value Key Vault holds for a certificate makes a CertificateCredential."""
    credential = built(with_certificate(pkcs12_base64()))

    assert isinstance(credential, CertificateCredential)


def test_line_breaks_in_base64_are_ignored() -> None:
    """Base64 wrapped at 64 columns decodes as it does on one line."""
    flat = pkcs12_base64()

    wrapped = "\n".join(textwrap.wrap(flat, 64)) + "\n"

    assert decode_certificate(wrapped) == base64.b64decode(flat)


@pytest.mark.parametrize(
    "text",
    [f"not-a-certificate-{SECRET}", base64.b64encode(SECRET.encode()).decode()],
)
def test_text_neither_pem_nor_pkcs12_fails_at_start_up(text: str) -> None:
    """Anything else is a configuration error that names the key, not the value."""
    with pytest.raises(ConfigurationError, match="neither PEM text nor base64") as e:
        parse_graph(certificate=text)

    assert "mail.graph.certificate" in str(e.value)
    assert text not in str(e.value)


def test_a_certificate_without_its_key_fails_at_start_up() -> None:
    """A PEM certificate alone cannot sign in; the error says what to add."""
    with pytest.raises(ConfigurationError, match="certificate and its private key"):
        parse_graph(certificate=certificate_pem())


def test_an_encrypted_pem_key_fails_at_start_up() -> None:
    """Mailroom takes no password: an encrypted key is refused, with the fix."""
    text = key_pem(PASSWORD) + certificate_pem()

    with pytest.raises(ConfigurationError, match="encrypted private key") as e:
        parse_graph(certificate=text)

    assert text.splitlines()[1] not in str(e.value)


def test_a_pkcs12_with_a_password_fails_naming_the_key() -> None:
    """azure-identity cannot open it; the error names mail.graph.certificate."""
    config = with_certificate(pkcs12_base64(PASSWORD))

    with pytest.raises(ConfigurationError, match=r"mail\.graph\.certificate ") as e:
        build_credential(config)

    assert pkcs12_base64(PASSWORD)[:40] not in str(e.value)


def test_a_secret_and_a_certificate_text_together_fail() -> None:
    """Two ways to sign in is an error naming both keys and neither value."""
    with pytest.raises(ConfigurationError, match="client_secret and certificate;") as e:
        parse_graph(client_secret=SECRET, certificate=pem_text())

    assert SECRET not in str(e.value)
    assert "PRIVATE KEY" not in str(e.value)


def test_the_certificate_is_masked() -> None:
    """Neither repr nor str of the configuration shows the key or certificate."""
    config = parse_graph(certificate=pem_text())
    key_line = pem_text().splitlines()[1]

    shown = [repr(config), str(config), repr(config.mail.graph)]

    assert not [text for text in shown if key_line in text or "BEGIN" in text]
