"""Check that a tool's webhook call is genuine before its body is read.

Tools prove a call in one of two ways: an HMAC-SHA256 of the body (with a
timestamp before it, where the tool signs one) keyed with a shared secret,
or a basic-authentication login typed into the tool's subscription. Every
comparison with the expected value runs in constant time, so that timing
tells a forger nothing. A signed timestamp is refused when it lies outside
a window around Mailroom's clock, which stops a captured call from being
replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from mailroom.errors import PermanentError

# How far a signed timestamp may lie from Mailroom's clock: room for clock
# drift and a relay's retries, too little for a replay to be of use.
MAX_SKEW = timedelta(minutes=5)


class WebhookRejectedError(PermanentError):
    """A tool's call that is unsigned, forged, too old or wrongly logged in."""


def header(headers: Mapping[str, str], wanted: str) -> str:
    """Return a header's value, its name compared without case; "" if absent."""
    wanted = wanted.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def hmac_sha256(secret: str, message: bytes) -> bytes:
    """Return the HMAC-SHA256 digest of `message` keyed with `secret`."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def stamped(timestamp: str, body: bytes) -> bytes:
    """Return what a timestamped signature covers: the stamp, a dot, the body."""
    return timestamp.encode("ascii") + b"." + body


def same(given: str, expected: str) -> bool:
    """Tell whether two strings are equal, in constant time."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def within(sent: datetime, now: datetime, window: timedelta) -> bool:
    """Tell whether `sent` lies within `window` of `now`, either side.

    A `now` without a time zone is taken as UTC.
    """
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    return abs(moment - sent) <= window


def basic_credentials(authorization: str) -> tuple[str, str]:
    """Return (user, password) of a basic Authorization value, or blanks."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    user, _, password = decoded.partition(":")
    return user, password
