"""Per-subscription clientState values that verify without a lookup.

A clientState is `mr1.<nonce>.<mac>`: the MAC is an HMAC-SHA256 of the nonce
under the app's secret. Each subscription gets its own value, yet the
notification endpoint checks any of them with the secret alone, so it needs
no storage round trip inside Graph's three seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "mr1"


def issue_client_state(secret: str, nonce: str) -> str:
    """Return the clientState for a new subscription with this nonce."""
    if not nonce.isalnum():
        raise ValueError("a clientState nonce must be alphanumeric")
    return f"{PREFIX}.{nonce}.{_mac(secret, nonce)}"


def verify_client_state(secret: str, value: object) -> bool:
    """Tell whether `value` is a clientState issued under `secret`."""
    if not isinstance(value, str) or len(value) > 128:
        return False

    parts = value.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return False

    expected = _mac(secret, parts[1])
    return hmac.compare_digest(expected.encode(), parts[2].encode())


def _mac(secret: str, nonce: str) -> str:
    """Return the URL-safe MAC of a nonce."""
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
