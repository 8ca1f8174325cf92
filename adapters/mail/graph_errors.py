"""What went wrong in a Graph call, and Mailroom's error for it.

Graph's own error text is read to decide (a lifetime refusal names its
limit) but never copied into a message: it may quote a resource path. The
messages here name the setting involved and the fix, never a URL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from mailroom.errors import PermanentError, RetryableError

RETRYABLE_STATUS = frozenset({429, 503, 504})
SIGN_IN = "sign-in"
# Failures that happen before the request leaves this machine.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
CREDENTIALS = (
    "mail.graph.tenant_id, client_id and client_secret, certificate or certificate_path"
)
# What to check when the sign-in endpoint gave no answer at all.
SIGN_IN_CHECKS = (
    "check the network path to Microsoft Entra ID (a proxy or a firewall), "
    "then mail.graph.tenant_id and the app's credential"
)


@dataclass(frozen=True)
class GraphFailure:
    """A failed Graph call: its status (None without an answer) and code."""

    status: int | None
    code: str = ""
    text: str = ""
    retry_after: float | None = None
    # Whether the request may have taken effect though it failed: a POST
    # that timed out waiting for its answer may have sent the mail.
    maybe_done: bool = False

    @property
    def retryable(self) -> bool:
        """Tell whether trying again can help."""
        status = self.status
        return status is None or status in RETRYABLE_STATUS or status >= 500


class GraphStatusError(Exception):
    """An error answer read by Mailroom itself (a streamed body)."""

    def __init__(self, failure: GraphFailure) -> None:
        super().__init__(f"Graph answered {failure.status} ({failure.code})")
        self.failure = failure


class GraphRefusedError(PermanentError):
    """Graph refused a call; trying again the same way cannot help."""

    def __init__(self, message: str, failure: GraphFailure) -> None:
        super().__init__(message)
        self.failure = failure


class GraphRetryableError(RetryableError):
    """A Graph call that may pass later; `failure` says whether it was sent."""

    def __init__(self, message: str, retry_after: float, failure: GraphFailure) -> None:
        super().__init__(message, retry_after)
        self.failure = failure


def describe(exc: BaseException) -> GraphFailure | None:
    """Return what an SDK, HTTP or credential error says, or None if unknown."""
    if isinstance(exc, GraphStatusError):
        return exc.failure
    if isinstance(exc, NOT_SENT):
        return GraphFailure(status=None, code=type(exc).__name__)
    if isinstance(exc, httpx.TransportError):
        return GraphFailure(status=None, code=type(exc).__name__, maybe_done=True)

    status = getattr(exc, "response_status_code", None)
    if isinstance(status, int):
        error = getattr(exc, "error", None)
        return GraphFailure(
            status=status,
            code=str(getattr(error, "code", None) or ""),
            text=str(getattr(error, "message", None) or ""),
            retry_after=retry_after(getattr(exc, "response_headers", None)),
            maybe_done=status >= 500,
        )
    return None


def failure_of(response: httpx.Response) -> GraphFailure:
    """Return the failure an error response describes (its body already read)."""
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    return GraphFailure(
        status=response.status_code,
        code=str(error.get("code") or ""),
        text=str(error.get("message") or ""),
        retry_after=retry_after(response.headers),
        maybe_done=response.status_code >= 500,
    )


def retry_after(headers: Any, now: datetime | None = None) -> float | None:
    """Return the seconds a Retry-After header asks for, or None."""
    if not headers:
        return None
    value = httpx.Headers(dict(headers)).get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def refusal_message(action: str, failure: GraphFailure) -> str:
    """Say why Graph refused `action` and what would fix it."""
    code = f" ({failure.code})" if failure.code else ""
    if failure.status == 401:
        return (
            f"Graph did not accept the app's token to {action}{code}; check "
            f"{CREDENTIALS}, and that the secret or certificate has not expired"
        )
    if failure.status == 403:
        return (
            f"Graph denied the app the right to {action}{code}; assign it the "
            "Exchange roles Application Mail.Read and Application Mail.Send on "
            "a management scope that holds the mailbox (see "
            "docs/graph-setup.md), and check that no application access policy "
            "leaves the mailbox out"
        )
    if failure.status == 404:
        return (
            f"Graph found nothing to {action}{code}; check the addresses under "
            "'mailboxes' and the folder names watched in them"
        )
    return (
        f"Graph answered {failure.status}{code} when asked to {action}; the "
        "request will not pass as it is"
    )


def retry_message(action: str, failure: GraphFailure) -> str:
    """Say why `action` failed for now, and what to check if it goes on.

    The message is read where no queue retries too (the `mailroom` command),
    so it names the cause and the fix, not who tries again or when.
    """
    if failure.code == SIGN_IN:
        return (
            f"Microsoft Entra ID could not be reached to sign in when asked to "
            f"{action}; {SIGN_IN_CHECKS}"
        )
    if failure.status is None:
        return (
            f"Graph could not be reached ({failure.code}) when asked to {action}; "
            "check the network path to Graph (a proxy or a firewall) and "
            "mail.graph.base_url"
        )
    if failure.status == 429:
        asked = failure.retry_after
        wait = f", asking to wait {asked:.0f} s" if asked is not None else ""
        return (
            f"Graph throttled the app (429) when asked to {action}{wait}; if it "
            "keeps happening, lower mail.graph.max_concurrency or the queue "
            "batch size in host.json"
        )
    return (
        f"Graph answered {failure.status} when asked to {action}, a failure on "
        "its side that usually passes; if it persists, check the Microsoft 365 "
        "service health"
    )


def credential_message(exc: BaseException) -> str:
    """Say that the app could not sign in, naming the settings to check."""
    return (
        f"the app could not sign in to Microsoft Entra ID ({type(exc).__name__}); "
        f"check {CREDENTIALS}, or the managed identity named by "
        "mail.graph.managed_identity_client_id"
    )
