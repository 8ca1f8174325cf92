"""Jira's REST API over httpx, with its failures turned into Mailroom's errors.

Throttling (429), server errors (5xx), time-outs and broken connections
become `RetryableError`, carrying Jira's Retry-After when it sent one;
every other refusal becomes `PermanentError` with a sentence that names the
setting to fix. No message holds a URL, a credential or a value from a mail.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from mailroom.config import JiraConfig
from mailroom.errors import ConfigurationError, PermanentError, RetryableError

logger = logging.getLogger(__name__)

PAGE_SIZE = 100


@dataclass(frozen=True)
class Action:
    """What a request does, the permission it needs, and what a 404 means."""

    doing: str
    permission: str
    on_issue: bool = True
    hint: str = ""


SEARCH = Action("search for Mailroom's issues", "Browse projects", on_issue=False)
READ = Action("read an issue", "Browse projects")
CREATE_META = Action("read the create metadata", "Create issues", on_issue=False)
CREATE = Action(
    "create an issue",
    "Create issues",
    on_issue=False,
    hint="check trackers.{name}.field_map against the project's create screen "
    "(Jira also answers so when the account may not create issues)",
)
COMMENT = Action(
    "add a comment",
    "Add comments",
    hint="internal comments are restricted to a project role the account must "
    "belong to",
)
ATTACH = Action("attach a file", "Create attachments")
LINK = Action("link two issues", "Link issues", hint="check the issue link type")
PROPERTY = Action("store Mailroom's issue property", "Edit issues")


class JiraHttp:
    """Send requests to one configured Jira and translate its answers."""

    def __init__(self, name: str, section: JiraConfig, http: httpx.Client) -> None:
        self.name = name
        self.project = section.project
        self.cloud = section.deployment == "cloud"
        self.api = "/rest/api/3" if self.cloud else "/rest/api/2"
        self._base = section.base_url.rstrip("/")
        self._http = http
        self._auth, self._login = _authentication(name, section)
        self._credential = self._login.rpartition(" and ")[2]

    def get(self, path: str, action: Action, **params: Any) -> Any:
        """Return the JSON answer to a GET."""
        return self._send("GET", path, action, params=params).json()

    def post(self, path: str, action: Action, body: Any) -> Any:
        """Return the JSON answer to a POST of `body`, or None when empty."""
        response = self._send("POST", path, action, json=body)
        return response.json() if response.content else None

    def put(self, path: str, action: Action, body: Any) -> None:
        """PUT `body`."""
        self._send("PUT", path, action, json=body)

    def upload(self, path: str, name: str, data: bytes, content_type: str) -> None:
        """POST one file as multipart/form-data under the part name `file`."""
        # A file object lets httpx send the part in chunks, not one copy.
        files = {"file": (name, io.BytesIO(data), content_type)}
        # Jira refuses multipart requests without this XSRF opt-out header.
        headers = {"X-Atlassian-Token": "no-check"}
        self._send("POST", path, ATTACH, files=files, headers=headers)

    def pages(
        self, path: str, items: str, action: Action, **params: Any
    ) -> Iterator[Any]:
        """Yield the items of every page of a startAt/maxResults listing."""
        start = 0
        while True:
            page = self.get(path, action, startAt=start, maxResults=PAGE_SIZE, **params)
            found = page.get(items) or []
            yield from found
            start += len(found)
            total = page.get("total")
            if (
                not found
                or page.get("isLast")
                or (total is not None and start >= total)
            ):
                return

    def _send(
        self, method: str, path: str, action: Action, **kwargs: Any
    ) -> httpx.Response:
        headers = {
            "Accept": "application/json",
            **self._auth,
            **kwargs.pop("headers", {}),
        }
        try:
            response = self._http.request(
                method, self._base + path, headers=headers, **kwargs
            )
        except httpx.TimeoutException as exc:
            self._note_failure(action, "timeout")
            raise RetryableError(
                f"Jira (trackers.{self.name}) timed out trying to {action.doing}; "
                f"check trackers.{self.name}.base_url if this persists"
            ) from exc
        except httpx.TransportError as exc:
            self._note_failure(action, "connection")
            raise RetryableError(
                f"Jira (trackers.{self.name}) could not be reached to {action.doing}; "
                f"check trackers.{self.name}.base_url if this persists"
            ) from exc

        if response.is_success:
            return response
        self._note_failure(action, str(response.status_code))
        raise self._error(response, action)

    def _error(self, response: httpx.Response, action: Action) -> Exception:
        status = response.status_code
        tool = f"Jira (trackers.{self.name})"
        if status == 429 or status >= 500:
            wait = retry_after(response)
            what = "is throttling Mailroom" if status == 429 else f"answered {status}"
            return RetryableError(f"{tool} {what} when asked to {action.doing}", wait)
        if status == 401:
            return PermanentError(
                f"{tool} refused the credentials: set {self._login} to a valid "
                "account and token for this Jira"
            )
        if status == 403:
            return PermanentError(
                f"{tool} does not allow the account of {self._credential} to "
                f"{action.doing}: grant it the '{action.permission}' permission "
                f"in project {self.project}"
            )
        if status == 404 and action.on_issue:
            return PermanentError(
                f"{tool} has no such issue to {action.doing}; it may have been "
                "deleted or moved, so check the key Mailroom recorded for the mail"
            )
        if status == 404:
            return PermanentError(
                f"{tool} found no project to {action.doing}: set "
                f"trackers.{self.name}.project ({self.project}) to an existing "
                "project key"
            )
        if status == 400:
            hint = action.hint.format(name=self.name)
            return PermanentError(
                f"{tool} refused to {action.doing}: {_reasons(response)}"
                + (f"; {hint}" if hint else "")
            )
        return PermanentError(
            f"{tool} answered {status} when asked to {action.doing}; check "
            f"trackers.{self.name}"
        )

    def _note_failure(self, action: Action, status: str) -> None:
        logger.warning(
            "jira.request_failed",
            extra={"tool": self.name, "action": action.doing, "status": status},
        )


def retry_after(response: httpx.Response) -> float | None:
    """Return the seconds Jira asked to wait, when it said so in seconds."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0)


def _reasons(response: httpx.Response) -> str:
    """Name the fields Jira rejected; its sentences may quote values, so only
    their number is given."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return "Jira gave no details"
    errors = body.get("errors") or {}
    messages = body.get("errorMessages") or []

    parts = []
    if errors:
        parts.append(f"fields rejected: {', '.join(sorted(errors))}")
    if messages:
        parts.append(f"{len(messages)} general message(s), not quoted here")
    return "; ".join(parts) or "Jira gave no details"


def _authentication(name: str, section: JiraConfig) -> tuple[dict[str, str], str]:
    """Return the Authorization header for the deployment, and its setting."""
    if section.deployment == "cloud":
        setting = f"trackers.{name}.email and trackers.{name}.api_token"
        if not section.email or section.api_token is None:
            raise ConfigurationError(
                f"Jira Cloud needs {setting}: set the account's address and an "
                "API token made at id.atlassian.com"
            )
        pair = f"{section.email}:{section.api_token.get_secret_value()}"
        basic = base64.b64encode(pair.encode()).decode()
        return {"Authorization": f"Basic {basic}"}, setting

    setting = f"trackers.{name}.personal_access_token"
    if section.personal_access_token is None:
        raise ConfigurationError(
            f"Jira Data Center needs {setting}: make a personal access token in "
            "the Jira profile of Mailroom's account"
        )
    token = section.personal_access_token.get_secret_value()
    return {"Authorization": f"Bearer {token}"}, setting
