"""Start-up checks of the connected tools' sign-in keys.

An adapter reads its section only when its tool is first used, where two
ways to sign in fail as slow retries. These checks read each tool's
section as the file holds it, so that they are named even when another key
of the same section is invalid too. (Addresses are checked by the models:
config_values.WebUrl.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mailroom.config_problems import Location, Problem

# Each Jira deployment: its name, its token, and all it signs in with.
JIRA_TOKENS = {
    "cloud": ("Jira Cloud", "api_token", "email and api_token"),
    "datacenter": ("Jira Data Center", "personal_access_token", "that token"),
}

SignInCheck = Callable[[Location, dict[str, Any]], list[Problem]]


def check_tools(trackers: Any) -> list[Problem]:
    """Check the sign-in keys of every tool that has more than one way."""
    if not isinstance(trackers, dict):
        return []
    problems: list[Problem] = []
    for name, entry in trackers.items():
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind in SIGN_IN_CHECKS:
            problems += SIGN_IN_CHECKS[kind](("trackers", str(name), kind), entry)
    return problems


def check_jira_sign_in(where: Location, entry: dict[str, Any]) -> list[Problem]:
    """Refuse the token of the deployment that is not the configured one."""
    deployment = entry.get("deployment", "cloud")
    if deployment not in JIRA_TOKENS:
        return []
    keys = JIRA_TOKENS[deployment][2]
    return [
        Problem(
            (*where, token),
            f"is for {product}, but deployment is {deployment}, where Mailroom "
            f"signs in with {keys}; remove it, or set deployment to {name}",
        )
        for name, (product, token, _) in JIRA_TOKENS.items()
        if name != deployment and given(entry, token)
    ]


def check_servicenow_sign_in(where: Location, entry: dict[str, Any]) -> list[Problem]:
    """Refuse a bearer token set together with a user or a password."""
    basic = [key for key in ("username", "password") if given(entry, key)]
    if not given(entry, "oauth_token") or not basic:
        return []
    return [
        Problem(
            (*where, "oauth_token"),
            f"is set together with {' and '.join(basic)}; ServiceNow signs in "
            "with a bearer token or with a user and password, not both, so "
            "remove the way the instance does not use",
        )
    ]


def check_azure_devops_sign_in(where: Location, entry: dict[str, Any]) -> list[Problem]:
    """Refuse a key of the sign-in `auth` does not name, and half a hook login."""
    return check_azure_devops_auth(where, entry) + check_hook_login(where, entry)


def check_hook_login(where: Location, entry: dict[str, Any]) -> list[Problem]:
    """Refuse a hook user name without its password, or the reverse."""
    pair = ("hook_username", "hook_password")
    missing = [key for key in pair if not given(entry, key)]
    if len(missing) != 1:
        return []
    [other] = [key for key in pair if key not in missing]
    return [
        Problem(
            (*where, missing[0]),
            f"is missing while {other} is set; service hooks sign in with "
            "both, and without both every hook call is refused",
        )
    ]


def check_azure_devops_auth(where: Location, entry: dict[str, Any]) -> list[Problem]:
    """Refuse the key of the way of signing in that `auth` does not name."""
    auth = entry.get("auth", "pat")
    if auth == "pat" and given(entry, "managed_identity_client_id"):
        return [
            Problem(
                (*where, "managed_identity_client_id"),
                "is read with auth entra only, and auth is pat; remove it, or "
                "set auth to entra to sign in with the managed identity",
            )
        ]
    if auth == "entra" and given(entry, "personal_access_token"):
        return [
            Problem(
                (*where, "personal_access_token"),
                "is set, but auth is entra, which signs in with the managed "
                "identity; remove the token, or set auth to pat",
            )
        ]
    return []


def given(entry: dict[str, Any], key: str) -> bool:
    """Tell whether a section sets `key` to something other than null."""
    return entry.get(key) is not None


SIGN_IN_CHECKS: dict[str, SignInCheck] = {
    "jira": check_jira_sign_in,
    "servicenow": check_servicenow_sign_in,
    "azure_devops": check_azure_devops_sign_in,
}
