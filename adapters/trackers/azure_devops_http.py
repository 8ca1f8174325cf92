"""Requests to Azure DevOps, with its failures turned into Mailroom's errors.

Every call goes through `AzureDevOpsHttp.send`: it adds the personal access
token (basic authentication with an empty user name) and the `api-version`,
and maps what went wrong to RetryableError (429 with its Retry-After, 5xx,
time-outs, lost connections) or PermanentError (validation, credentials,
permissions, a missing project or type). Messages name the tracker, the
setting to fix and never a response body: Azure DevOps echoes field values
there, and those come from mail.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from mailroom.errors import PermanentError, RetryableError

T = TypeVar("T")

TOOL = "Azure DevOps"
API_VERSION = "7.1"
# Work item comments exist only as a preview API (Comments - Add, 7.1-preview.4).
COMMENTS_API_VERSION = "7.1-preview.4"
JSON = "application/json"
JSON_PATCH = "application/json-patch+json"
OCTET_STREAM = "application/octet-stream"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)

_FIXES = {
    400: "the request was refused as invalid; check trackers.{name}.field_map "
    "and trackers.{name}.work_item_type against the project's process",
    401: "the credentials were refused; renew trackers.{name}.personal_access_token",
    403: "the token lacks a permission; give trackers.{name}.personal_access_token "
    "the Work Items (read and write) scope and access to the project",
    404: "it was not found; check trackers.{name}.organization_url, "
    "trackers.{name}.project and trackers.{name}.work_item_type",
}
_GENERIC_FIX = "check the configuration of trackers.{name}"
# A conflicting update of the same work item passes once the other one lands.
_RETRY_STATUSES = {408, 409, 412, 429}


class AzureDevOpsHttp:
    """Send requests to Azure DevOps on behalf of one configured tracker."""

    def __init__(self, name: str, token: str, client: httpx.Client) -> None:
        self.name = name
        self._client = client
        secret = base64.b64encode(f":{token}".encode()).decode("ascii")
        self._authorization = f"Basic {secret}"

    def send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        api_version: str = API_VERSION,
    ) -> httpx.Response:
        """Send one request; raise RetryableError or PermanentError on failure.

        `what` says what Mailroom was doing, for the error message.
        """
        headers = {"Authorization": self._authorization, "Accept": JSON}
        if content_type:
            headers["Content-Type"] = content_type
        query = {**(params or {}), "api-version": api_version}

        try:
            response = self._client.request(
                method, url, params=query, content=body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise RetryableError(self._message("did not answer in time", what)) from exc
        except httpx.TransportError as exc:
            raise RetryableError(self._message("could not be reached", what)) from exc

        raise_for_status(response, self.name, what)
        return response

    def send_json(
        self, method: str, url: str, what: str, **options: Any
    ) -> dict[str, Any]:
        """Send one request and return the JSON object it answers with."""
        response = self.send(method, url, what, **options)
        return read_object(response, self.name, what)

    def _message(self, problem: str, what: str) -> str:
        return (
            f"{TOOL} {problem} while {what} for tracker {self.name!r}; Mailroom "
            "tries again later"
        )


def raise_for_status(response: httpx.Response, name: str, what: str) -> None:
    """Raise the Mailroom error that an unsuccessful answer stands for."""
    status = response.status_code
    if status == 203:
        # An unusable token gets the sign-in page, with 203, not a 401.
        fix = _FIXES[401].format(name=name)
        raise PermanentError(_status_message(status, what, name, fix))
    if status < 400:
        return

    if status in _RETRY_STATUSES or status >= 500:
        message = _status_message(status, what, name, "Mailroom tries again later")
        raise RetryableError(message, retry_after=retry_after(response))
    fix = _FIXES.get(status, _GENERIC_FIX).format(name=name)
    raise PermanentError(_status_message(status, what, name, fix))


def _status_message(status: int, what: str, name: str, fix: str) -> str:
    return f"{TOOL} answered HTTP {status} while {what} for tracker {name!r}: {fix}"


def retry_after(response: httpx.Response) -> float | None:
    """Return the seconds a Retry-After header asks to wait, if it says."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_body(value: Any) -> bytes:
    """Encode a request body as JSON."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def read_object(response: httpx.Response, name: str, what: str) -> dict[str, Any]:
    """Decode a JSON object answer; anything else is a permanent failure."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise PermanentError(
            f"{TOOL} answered with no JSON object while {what} for tracker "
            f"{name!r}; check that trackers.{name}.organization_url names an "
            "Azure DevOps organization or collection"
        )
    return answer


def require(
    answer: dict[str, Any], field: str, kind: type[T], name: str, what: str
) -> T:
    """Return a field of an answer that must be there, of the type expected."""
    value = answer.get(field)
    if not isinstance(value, kind) or not value:
        raise PermanentError(
            f"{TOOL} answered without {field} while {what} for tracker {name!r}; "
            f"check that trackers.{name}.organization_url names an Azure DevOps "
            "organization or collection"
        )
    return value
