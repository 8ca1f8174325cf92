"""The mail.graph section: the app Graph signs in as, and its certificate."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import Field, SecretStr

from mailroom.config_section import Section
from mailroom.config_values import WebUrl

# The keys of mail.graph that each make the app sign in its own way.
SIGN_IN_KEYS = ("client_secret", "certificate", "certificate_path")
PEM_BEGIN = "-----BEGIN"
# Every DER structure, PKCS#12 included, opens with the SEQUENCE tag.
DER_SEQUENCE = b"\x30"
# PKCS#8 and the older OpenSSL header that each mark an encrypted key.
PEM_ENCRYPTED = ("ENCRYPTED PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED")


class GraphConfig(Section):
    """Exchange Online through Microsoft Graph: the app and how it signs in."""

    tenant_id: str
    client_id: str
    # How the app signs in, one way at most: a client secret; a certificate
    # with its private key, as text (PEM, or base64 PKCS#12 as Key Vault
    # keeps a certificate) or as a PEM file; with none of them, the managed
    # identity of the Functions app (a user-assigned one when its client id
    # is given).
    client_secret: SecretStr | None = None
    certificate: SecretStr | None = None
    certificate_path: str | None = None
    managed_identity_client_id: str | None = None
    base_url: WebUrl = "https://graph.microsoft.com/v1.0"
    # Exchange serves one app at most four requests at once per mailbox.
    max_concurrency: int = Field(default=4, ge=1, le=4)
    # When Graph drops a folder's delta link, catch up on this many days.
    resync_days: int = Field(default=7, ge=1, le=365)

    def model_post_init(self, context: Any, /) -> None:
        """Check that the app signs in one way only, and the certificate's form."""
        ways = [key for key in SIGN_IN_KEYS if getattr(self, key) is not None]
        if len(ways) > 1:
            raise ValueError(
                f"mail.graph sets {' and '.join(ways)}; the app signs in one way, "
                "so keep only the one the app registration holds (look in the "
                "file and in the MAILROOM__mail__graph__ app settings)"
            )
        if self.certificate is not None:
            decode_certificate(self.certificate.get_secret_value())


def decode_certificate(text: str) -> bytes:
    """Return the bytes of a certificate given as PEM text or base64 PKCS#12.

    Only the form is checked here; azure-identity reads the key and the
    certificate when it builds the credential.
    """
    if PEM_BEGIN in text:
        _check_pem(text)
        return text.encode("utf-8")

    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error:
        data = b""
    if not data.startswith(DER_SEQUENCE):
        raise ValueError(
            "mail.graph.certificate is neither PEM text nor base64 PKCS#12; set "
            "it to the certificate with its private key as PEM, or to the value "
            "of a Key Vault certificate's secret. If the app setting still reads "
            "@Microsoft.KeyVault(...), the app could not resolve the reference"
        )
    return data


def _check_pem(text: str) -> None:
    """Check that PEM text holds a certificate and its unencrypted key."""
    if "PRIVATE KEY-----" not in text or "BEGIN CERTIFICATE-----" not in text:
        raise ValueError(
            "mail.graph.certificate needs both the certificate and its private "
            "key in one PEM text; append the key's PEM block to the certificate's"
        )
    if any(mark in text for mark in PEM_ENCRYPTED):
        raise ValueError(
            "mail.graph.certificate holds an encrypted private key; store the "
            "key unencrypted (the setting is a secret already), as "
            "`openssl pkey -in key.pem` writes it"
        )
