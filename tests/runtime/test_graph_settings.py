"""The Graph sign-in settings the Azure template sets reach mail.graph."""

from __future__ import annotations

import pytest

from runtime.config_source import DEFAULT_CONFIG, load_config
from tests.certificates import pem_text, pkcs12_base64

GRAPH = {
    "MAILROOM__mail__kind": "graph",
    "MAILROOM__mail__graph__tenant_id": "tenant",
    "MAILROOM__mail__graph__client_id": "client",
}


@pytest.mark.parametrize("text", [pem_text(), pkcs12_base64()], ids=["pem", "pkcs12"])
def test_the_certificate_setting_reaches_mail_graph(text: str) -> None:
    """MAILROOM__mail__graph__certificate arrives whole, line breaks and all."""
    environ = GRAPH | {"MAILROOM__mail__graph__certificate": text}

    graph = load_config(DEFAULT_CONFIG, environ).mail.graph

    assert graph is not None and graph.certificate is not None
    assert graph.certificate.get_secret_value() == text
