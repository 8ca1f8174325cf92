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
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import httpx

from adapters.trackers.http_errors import StatusFixes, send
from mailroom.errors import PermanentError

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
_STATUSES = StatusFixes(TOOL, _FIXES)


# The resource id of Azure DevOps, which Entra tokens are requested for.
AZURE_DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default"


class TokenSource(Protocol):
    """What azure-identity credentials offer: a token for a scope."""

    def get_token(self, *scopes: str) -> Any:
        """Return an access token object with a `token` attribute."""
        ...


def pat_authorization(token: str) -> Callable[[], str]:
    """Return the Authorization value of a personal access token."""
    secret = base64.b64encode(f":{token}".encode()).decode("ascii")
    return lambda: f"Basic {secret}"


def entra_authorization(credential: TokenSource) -> Callable[[], str]:
    """Return a bearer Authorization from Entra; the credential caches tokens."""
    return lambda: f"Bearer {credential.get_token(AZURE_DEVOPS_SCOPE).token}"


class AzureDevOpsHttp:
    """Send requests to Azure DevOps on behalf of one configured tracker."""

    def __init__(
        self, name: str, authorization: Callable[[], str], client: httpx.Client
    ) -> None:
        self.name = name
        self._client = client
        self._authorization = authorization

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
        headers = {"Authorization": self._authorization(), "Accept": JSON}
        if content_type:
            headers["Content-Type"] = content_type
        query = {**(params or {}), "api-version": api_version}

        response = send(
            self._client,
            TOOL,
            self.name,
            what,
            method=method,
            url=url,
            params=query,
            content=body,
            headers=headers,
        )
        raise_for_status(response, self.name, what)
        return response

    def send_json(
        self, method: str, url: str, what: str, **options: Any
    ) -> dict[str, Any]:
        """Send one request and return the JSON object it answers with."""
        response = self.send(method, url, what, **options)
        return read_object(response, self.name, what)


def raise_for_status(response: httpx.Response, name: str, what: str) -> None:
    """Raise the Mailroom error that an unsuccessful answer stands for."""
    if response.status_code == 203:
        # An unusable token gets the sign-in page, with 203, not a 401.
        fix = _STATUSES.fix(401, name)
        raise PermanentError(_STATUSES.message(203, what, name, fix))
    _STATUSES.raise_for_status(response, name, what)


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
