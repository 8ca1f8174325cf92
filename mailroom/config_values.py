"""Rules for single configuration values, used as pydantic validators.

Each returns the value it accepts and raises ValueError with a sentence
that says how to fix the value. No sentence quotes the value, which could
be a secret or an address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from typing import Annotated, TypeVar
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator

SizedValue = TypeVar("SizedValue", bound=Sized)

_ADDRESS = re.compile(r"[^\s@<>,;]+@[^\s@<>,;]+")
_HEADER = re.compile(r"X-[A-Za-z0-9-]+", re.IGNORECASE)
_ID_DOMAIN = re.compile(r"[^\s<>@]+")
# A host name (letters of any script, digits, dots, hyphens) or an IP address;
# urlsplit takes "https://not a url" for a host with spaces.
_HOST = re.compile(r"[\w.-]+|[0-9A-Fa-f:.]+")
# The local tracker's keys: HELP-42. Jira's default key pattern is wider
# (underscores, any length its administrators allow) but upper-case too.
LOCAL_PROJECT = re.compile(r"[A-Z][A-Z0-9]{0,9}")
_JIRA_PROJECT = re.compile(r"[A-Z][A-Z0-9_]+")


def matching(pattern: re.Pattern[str], sentence: str) -> Callable[[str], str]:
    """Return a validator that accepts text `pattern` matches whole."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(sentence)
        return value

    return check


check_address = matching(
    _ADDRESS,
    "is not a mail address; write it as name@domain, such as helpdesk@example.org",
)


def check_public_url(value: str) -> str:
    """Accept an absolute http or https address with a host and no query."""
    if not is_web_address(value):
        raise ValueError(
            "is not an absolute http:// or https:// address; set it to the "
            "address Mailroom is reached at: http://127.0.0.1:7071 on this "
            "machine, an https address for a real tenant (Graph posts "
            "notifications to https addresses only)"
        )
    adds = "Mailroom adds /api/<function> and ?code=<key> to it"
    return _check_address_alone(value, adds)


def check_web_url(value: str) -> str:
    """Accept the absolute http or https address of a service Mailroom calls."""
    if not is_web_address(value):
        raise ValueError(
            "is not an absolute http:// or https:// address with a host; write "
            "it in full, starting with https:// and the host's name, as "
            "README.md's configuration reference shows"
        )
    return _check_address_alone(value, "Mailroom adds the API's paths to it")


# The address of a service Mailroom calls: a tool's or Graph's.
WebUrl = Annotated[str, AfterValidator(check_web_url)]


def is_web_address(value: str) -> bool:
    """Tell whether `value` is an http or https address with a proper host."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
    except ValueError:  # an unclosed [ of an IPv6 address
        return False
    return parts.scheme in ("http", "https") and bool(_HOST.fullmatch(host))


def _check_address_alone(value: str, reason: str) -> str:
    """Refuse an address with a user, a query, a fragment or a bad port."""
    parts = urlsplit(value)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(
            "holds a user, a query or a fragment; give the address alone, "
            f"since {reason}"
        )
    if not _has_valid_port(parts):
        raise ValueError("has a port that is not a number from 0 to 65535; fix it")
    return value


def _has_valid_port(parts: SplitResult) -> bool:
    """Tell whether the address has no port, or one that is a port number."""
    try:
        parts.port  # noqa: B018 - reading the port is what checks it
    except ValueError:
        return False
    return True


check_header_name = matching(
    _HEADER,
    "must be a header name that starts with X- and holds only letters, "
    "digits and hyphens, such as X-Mailroom-Id (Graph sends no other "
    "custom headers)",
)


check_message_id_domain = matching(
    _ID_DOMAIN,
    "must be a domain without spaces, '<', '>' or '@', such as mailroom.invalid",
)


def check_not_blank(value: str) -> str:
    """Accept text that holds more than white space."""
    if not value.strip():
        raise ValueError("is empty; give it a value")
    return value


def check_folders(folders: list[str]) -> list[str]:
    """Accept a non-empty list of folder names, each named once."""
    if not folders:
        raise ValueError(
            "lists no folder; watch at least one, such as [Inbox], or remove "
            "the mailbox"
        )
    first_at: dict[str, int] = {}
    for index, folder in enumerate(folders):
        if not folder.strip():
            raise ValueError(f"entry {index} is empty; name the folder")
        first = first_at.setdefault(folder.strip().lower(), index)
        if first != index:
            raise ValueError(
                f"entries {first} and {index} name the same folder; name each once"
            )
    return folders


def require_entries(sentence: str) -> Callable[[SizedValue], SizedValue]:
    """Return a validator that refuses an empty value with `sentence`."""

    def check(value: SizedValue) -> SizedValue:
        if len(value) == 0:
            raise ValueError(sentence)
        return value

    return check


check_local_project = matching(
    LOCAL_PROJECT,
    "is not a key prefix; use 1 to 10 upper-case letters and digits, "
    "starting with a letter, such as HELP",
)


check_jira_project = matching(
    _JIRA_PROJECT,
    "is not a Jira project key; give the key as Jira shows it in issue "
    "keys (upper-case letters, digits and underscores, starting with a "
    "letter, such as OPS), not the project's name",
)
