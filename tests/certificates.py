"""Throwaway self-signed certificates in the forms an app registration uses."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = b"pfx-password-7q"


@cache
def key_and_certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """Return an RSA key and a one-day certificate for it (made once a run)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailroom-test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


def certificate_pem() -> str:
    """Return the certificate's PEM block alone, without the key."""
    _, certificate = key_and_certificate()
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def key_pem(password: bytes | None = None) -> str:
    """Return the private key as PKCS#8 PEM, encrypted when given a password."""
    key, _ = key_and_certificate()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        encryption(password),
    ).decode("ascii")


def pem_text() -> str:
    """Return the key and the certificate as one PEM text, as openssl writes it."""
    return key_pem() + certificate_pem()


def pkcs12_base64(password: bytes | None = None) -> str:
    """Return key and certificate as base64 PKCS#12, as Key Vault holds them."""
    key, certificate = key_and_certificate()
    data = pkcs12.serialize_key_and_certificates(
        b"mailroom", key, certificate, None, encryption(password)
    )
    return base64.b64encode(data).decode("ascii")


def encryption(password: bytes | None) -> serialization.KeySerializationEncryption:
    """Return the encryption for a password, or none without one."""
    if password is None:
        return serialization.NoEncryption()
    return serialization.BestAvailableEncryption(password)
