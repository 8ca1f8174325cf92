"""Requests to IBM EWM (RTC): OSLC headers, basic or form sign-in, errors.

Every call sends `OSLC-Core-Version: 2.0`. Jazz servers sign clients in one
of two ways, and the session finds out which from the answers:

- basic authentication: the user name and password go with each request;
- form authentication (the Jazz default): a protected request is answered
  with 200 and `X-com-ibm-team-repository-web-auth-msg: authrequired`. The
  session then posts `j_username` and `j_password` to `<base>/j_security_check`,
  keeps the session cookies and sends the request again; `authfailed` in
  that header means the credentials were refused. Writes then carry
  `X-Jazz-CSRF-Prevent` with the session id, as newer releases require of
  cookie-authenticated clients.

Failures map as for every tool: 429 (with Retry-After), 5xx, 409/412 and
time-outs are RetryableError; 400, 401, 403, 404 and other 4xx are
PermanentError naming the setting to fix. Answers are never quoted.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from adapters.trackers.http_errors import StatusFixes, send
from mailroom.errors import ConfigurationError, PermanentError

TOOL = "EWM"
AUTH_MESSAGE = "X-com-ibm-team-repository-web-auth-msg"
CSRF_HEADER = "X-Jazz-CSRF-Prevent"
SESSION_COOKIE = "JSESSIONID"
JSON = "application/json"
RDF_XML = "application/rdf+xml"
TIMEOUT = httpx.Timeout(30.0, connect=10.0)

_FIXES = {
    400: "the request was refused as invalid; check trackers.{name}.field_map "
    "against the attributes the project area requires",
    401: "the credentials were refused; check trackers.{name}.username and "
    "trackers.{name}.password",
    403: "the user lacks a permission; give trackers.{name}.username the right "
    "to create and modify work items in trackers.{name}.project_area",
    404: "it was not found; check that trackers.{name}.base_url names the CCM "
    "application (such as https://host:9443/ccm) and trackers.{name}.project_area",
}
_STATUSES = StatusFixes(TOOL, _FIXES)


class EwmSession:
    """Send requests to one EWM server as one configured tracker."""

    def __init__(
        self,
        name: str,
        base_url: str,
        username: str | None,
        password: str | None,
        client: httpx.Client,
    ) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._client = client
        self._form = False

    def send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        accept: str = JSON,
        allow: tuple[int, ...] = (),
        **options: Any,
    ) -> httpx.Response:
        """Send one request, signing in first if the server asks for it.

        Statuses in `allow` come back to the caller instead of raising.
        `options` go to httpx: params, content, files, headers.
        """
        response = self._send_once(method, url, what, accept, options)
        if _auth_message(response) == "authrequired":
            self._sign_in(what)
            response = self._send_once(method, url, what, accept, options)
        if _auth_message(response) in ("authrequired", "authfailed"):
            raise _STATUSES.refusal(401, what, self.name)
        if response.status_code not in allow:
            _STATUSES.raise_for_status(response, self.name, what)
        return response

    def send_json(self, method: str, url: str, what: str, **options: Any) -> Any:
        """Send one request and return the JSON it answers with."""
        response = self.send(method, url, what, **options)
        try:
            return response.json()
        except ValueError as exc:
            raise PermanentError(
                f"{TOOL} answered with no JSON while {what} for tracker "
                f"{self.name!r}; check that trackers.{self.name}.base_url names "
                "the CCM application"
            ) from exc

    def _send_once(
        self, method: str, url: str, what: str, accept: str, options: dict[str, Any]
    ) -> httpx.Response:
        headers = {"OSLC-Core-Version": "2.0", "Accept": accept}
        headers.update(options.get("headers") or {})
        if not self._form and self._username and self._password is not None:
            headers["Authorization"] = _basic(self._username, self._password)
        session = self._session_id()
        if session and method not in ("GET", "HEAD"):
            headers[CSRF_HEADER] = session
        kept = {k: v for k, v in options.items() if k != "headers"}
        return self._transport(method, url, what, headers=headers, **kept)

    def _sign_in(self, what: str) -> None:
        """Sign in with the Jazz form; the client keeps the session cookies."""
        if not self._username or self._password is None:
            raise ConfigurationError(
                f"the EWM server of tracker {self.name!r} asks to sign in; set "
                f"trackers.{self.name}.username and trackers.{self.name}.password"
            )
        self._form = True
        form = {"j_username": self._username, "j_password": self._password}
        url = f"{self.base}/j_security_check"
        response = self._transport("POST", url, what, data=form)
        if _auth_message(response) == "authfailed" or response.status_code == 401:
            raise _STATUSES.refusal(401, what, self.name)
        if response.status_code >= 400:
            _STATUSES.raise_for_status(response, self.name, what)

    def _transport(
        self, method: str, url: str, what: str, **options: Any
    ) -> httpx.Response:
        """Send through httpx, turning network failures into RetryableError."""
        return send(
            self._client, TOOL, self.name, what, method=method, url=url, **options
        )

    def _session_id(self) -> str | None:
        for cookie in self._client.cookies.jar:
            if cookie.name == SESSION_COOKIE and cookie.value:
                return cookie.value
        return None


def _auth_message(response: httpx.Response) -> str:
    return str(response.headers.get(AUTH_MESSAGE, "")).strip().lower()


def _basic(username: str, password: str) -> str:
    secret = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {secret}"
