"""Talk to one ServiceNow instance over its REST APIs, with errors translated.

Every call returns the `result` member of ServiceNow's JSON answer. Failures
leave as Mailroom's own errors: throttling, 5xx and time-outs as
RetryableError; credentials, ACLs, a missing table and rejected values as
PermanentError, each naming the setting to fix. Nothing from a request or
an answer body reaches a message or a log line.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.trackers.http_errors import seconds_from_retry_after
from mailroom.config import ServiceNowConfig
from mailroom.errors import ConfigurationError, PermanentError, RetryableError

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
CHUNK = 64 * 1024
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Call:
    """What a request does, in words for messages, and what it touches."""

    doing: str
    table: str | None = None
    record: str | None = None


class ServiceNowClient:
    """Send authenticated REST calls to one instance and read their results."""

    def __init__(
        self,
        name: str,
        section: ServiceNowConfig,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.table = checked_name(section.table, f"trackers.{name}.table")
        # The section's WebUrl check took an http(s) address without a query.
        self.base = section.instance_url.strip().rstrip("/")
        self._auth, self._credentials = authorization(name, section)
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._clock = clock

    def get(self, path: str, params: dict[str, str], call: Call) -> Any:
        """Return the result of a GET."""
        return self._send("GET", path, call, params=params)

    def post(
        self, path: str, body: dict[str, str], params: dict[str, str], call: Call
    ) -> Any:
        """Return the result of a POST with a JSON body."""
        return self._send("POST", path, call, params=params, json=body)

    def patch(
        self, path: str, body: dict[str, str], params: dict[str, str], call: Call
    ) -> Any:
        """Return the result of a PATCH with a JSON body."""
        return self._send("PATCH", path, call, params=params, json=body)

    def upload(
        self,
        path: str,
        params: dict[str, str],
        data: bytes,
        content_type: str,
        call: Call,
    ) -> Any:
        """Return the result of a POST whose body is `data`, sent in chunks."""
        headers = {"Content-Type": content_type, "Content-Length": str(len(data))}
        return self._send(
            "POST", path, call, params=params, content=chunks(data), headers=headers
        )

    def _send(
        self,
        method: str,
        path: str,
        call: Call,
        *,
        params: dict[str, str],
        json: dict[str, str] | None = None,
        content: Iterator[bytes] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = {"Accept": "application/json", "Authorization": self._auth}
        try:
            response = self._http.request(
                method,
                self.base + path,
                params=params,
                json=json,
                content=content,
                headers={**sent, **(headers or {})},
            )
        except httpx.TimeoutException as exc:
            raise self._retryable(call, "did not answer in time") from exc
        except httpx.TransportError as exc:
            raise self._retryable(call, "could not be reached") from exc

        if response.is_success:
            return self._result(response, call)
        logger.warning(
            "servicenow.request_failed",
            extra={
                "tool": self.name,
                "status": response.status_code,
                "doing": call.doing,
            },
        )
        raise self._failure(response, call)

    def _result(self, response: httpx.Response, call: Call) -> Any:
        try:
            document = response.json()
        except ValueError:
            document = None
        if not isinstance(document, dict) or "result" not in document:
            raise RetryableError(
                f"ServiceNow (trackers.{self.name}) answered {call.doing} with "
                "something other than its JSON result; the instance may be "
                "asleep or behind a login page. Check "
                f"trackers.{self.name}.instance_url if this persists"
            )
        return document["result"]

    def _retryable(self, call: Call, what: str) -> RetryableError:
        return RetryableError(
            f"ServiceNow (trackers.{self.name}) {what} while {call.doing}; it "
            f"will be retried. Check trackers.{self.name}.instance_url if this "
            "persists"
        )

    def _failure(self, response: httpx.Response, call: Call) -> Exception:
        """Return the error a refused request stands for."""
        status = response.status_code
        where = f"ServiceNow (trackers.{self.name}) answered {status} to {call.doing}"
        if status == 429 or status >= 500:
            return RetryableError(
                f"{where}; it will be retried", retry_after=self._wait(response)
            )
        return self._refusal(response, call, where)

    def _refusal(self, response: httpx.Response, call: Call, where: str) -> Exception:
        """Return the permanent error of a 4xx, naming the setting to fix."""
        status = response.status_code
        table = call.table or self.table
        if status == 401:
            return PermanentError(
                f"{where}: the credentials were refused. Check {self._credentials}"
            )
        if status == 403:
            hint = " (itil for incident)" if table == "incident" else ""
            return PermanentError(
                f"{where}: an ACL forbids it. Give the account of "
                f"{self._credentials} the roles for table {table!r}{hint}"
            )
        if _invalid_table(response) or (status == 404 and call.record is None):
            fix = f"Fix trackers.{self.name}.table"
            if table != self.table:
                fix = f"Grant the account of {self._credentials} read access to it"
            return PermanentError(
                f"{where}: table {table!r} does not exist or cannot be read. {fix}"
            )
        if status == 404:
            return PermanentError(
                f"{where}: record {call.record} is gone, or the account of "
                f"{self._credentials} cannot read it"
            )
        return PermanentError(
            f"{where}: the request was rejected. Check "
            f"trackers.{self.name}.field_map and the values mapped through it"
        )

    def _wait(self, response: httpx.Response) -> float | None:
        """Return the seconds ServiceNow asks to wait, if it says."""
        retry_after = response.headers.get("Retry-After")
        if retry_after is not None:
            return seconds_from_retry_after(retry_after, self._clock())
        reset = response.headers.get("X-RateLimit-Reset")
        if reset is not None and reset.strip().isdigit():
            return max(0.0, float(reset) - self._clock())
        return None


def authorization(name: str, section: ServiceNowConfig) -> tuple[str, str]:
    """Return the Authorization header and the settings that hold it."""
    token = section.oauth_token
    if token is not None and section.username is None:
        return f"Bearer {token.get_secret_value()}", f"trackers.{name}.oauth_token"

    if token is None and section.username and section.password is not None:
        pair = f"{section.username}:{section.password.get_secret_value()}"
        encoded = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        settings = f"trackers.{name}.username and trackers.{name}.password"
        return f"Basic {encoded}", settings

    raise ConfigurationError(
        f"trackers.{name} needs either oauth_token, or username and password, "
        "but not both; set one of them"
    )


def checked_name(value: str, setting: str) -> str:
    """Return a table or column name, refusing what could bend a query."""
    if not _NAME.fullmatch(value):
        raise ConfigurationError(
            f"{setting} must be a ServiceNow table or column name: lower-case "
            "letters, digits and underscores"
        )
    return value


def chunks(data: bytes) -> Iterator[bytes]:
    """Yield `data` in pieces so the upload is streamed, not buffered again."""
    view = memoryview(data)
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


def _invalid_table(response: httpx.Response) -> bool:
    """Tell whether a 400 says the table does not exist."""
    if response.status_code != 400:
        return False
    try:
        error = response.json().get("error") or {}
        message = str(error.get("message") or "")
    except (ValueError, AttributeError):
        return False
    return message.startswith("Invalid table")
