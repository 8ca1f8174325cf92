"""Turn a tool's HTTP failures into Mailroom's retryable and permanent errors.

Time-outs, lost connections, 5xx and the statuses a tool answers while
something passes (throttling, a conflicting update) become RetryableError,
carrying the Retry-After wait when the tool sent one. Every other refusal
becomes PermanentError with the fix the tool's adapter names for that
status, its own settings in it. No message quotes an answer's body: tools
echo field values there, and those come from mail.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from mailroom.errors import PermanentError, RetryableError

# 408 and 429 pass with time; 409 and 412 once the other update has landed.
RETRY_STATUSES = frozenset({408, 409, 412, 429})
RETRY_LATER = "a failure that usually passes"


@dataclass(frozen=True)
class StatusFixes:
    """What one tool's adapter says to fix after each refusing status.

    Fixes are templates: `{name}` stands for the tracker's name, so that
    they can name its settings, such as `trackers.{name}.password`.
    """

    tool: str
    fixes: Mapping[int, str]
    generic: str = "check the configuration of trackers.{name}"
    retry_statuses: frozenset[int] = field(default=RETRY_STATUSES)

    def fix(self, status: int, name: str) -> str:
        """Return the fix for a refusing status, for tracker `name`."""
        return self.fixes.get(status, self.generic).format(name=name)

    def message(self, status: int, what: str, name: str, fix: str) -> str:
        """Return the sentence for an answer with `status`, ending in `fix`."""
        return (
            f"{self.tool} answered HTTP {status} while {what} for tracker "
            f"{name!r}: {fix}"
        )

    def refusal(self, status: int, what: str, name: str) -> PermanentError:
        """Return the permanent error of a refusing status, naming the fix."""
        return PermanentError(self.message(status, what, name, self.fix(status, name)))

    def raise_for_status(self, response: httpx.Response, name: str, what: str) -> None:
        """Raise the Mailroom error that an unsuccessful answer stands for."""
        status = response.status_code
        if status < 400:
            return
        if status in self.retry_statuses or status >= 500:
            message = self.message(status, what, name, RETRY_LATER)
            raise RetryableError(message, retry_after=retry_after(response))
        raise self.refusal(status, what, name)


def send(
    client: httpx.Client, tool: str, name: str, what: str, **request: Any
) -> httpx.Response:
    """Send one request; a time-out or lost connection is RetryableError.

    `request` goes to `httpx.Client.request`; `what` says what Mailroom was
    doing, for the message.
    """
    try:
        return client.request(**request)
    except httpx.TimeoutException as exc:
        problem = "did not answer in time"
        raise RetryableError(_network(tool, problem, what, name)) from exc
    except httpx.TransportError as exc:
        problem = "could not be reached"
        raise RetryableError(_network(tool, problem, what, name)) from exc


def retry_after(response: httpx.Response, now: float | None = None) -> float | None:
    """Return the seconds a Retry-After header asks to wait, if it says."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    return seconds_from_retry_after(value, time.time() if now is None else now)


def seconds_from_retry_after(value: str, now: float) -> float | None:
    """Read Retry-After as seconds or as an HTTP date; None if neither.

    `now` is the Unix time to count a date from; a date past is no wait.
    """
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # HTTP dates are in GMT; a "-0000" zone parses without one.
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def json_body(value: Any) -> bytes:
    """Encode a request body as JSON."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _network(tool: str, problem: str, what: str, name: str) -> str:
    return f"{tool} {problem} while {what} for tracker {name!r}; {RETRY_LATER}"
