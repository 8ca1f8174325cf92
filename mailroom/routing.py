"""Routing: which tools a new mail goes to, by the configured rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase

from mailroom.config import Criteria, RouteConfig
from mailroom.models import NormalizedMail, RouteDecision
from mailroom.patterns import regex_error, search_ignoring_case

Check = Callable[[Criteria, NormalizedMail, str], bool]


def choose_route(
    mail: NormalizedMail, mailbox: str, routes: list[RouteConfig]
) -> RouteDecision:
    """Pick the tools for a mail that arrived in `mailbox`.

    The first matching route wins. A matching route that says
    `continue_matching` adds its tools and lets later routes add theirs.
    """
    matched: list[RouteConfig] = []
    for route in routes:
        if _matches(route.match, mail, mailbox):
            matched.append(route)
            if not route.continue_matching:
                break

    if not matched:
        return RouteDecision(route=None, reason="no route matches this mail")

    tools = list(dict.fromkeys(tool for route in matched for tool in route.tools))
    names = ", ".join(repr(route.name) for route in matched)
    reason = (
        f"matched {names}" if tools else f"matched {names}, with no tool to send to"
    )
    return RouteDecision(route=matched[0].name, tools=tools, reason=reason)


def check_routes(routes: list[RouteConfig]) -> list[str]:
    """Return a sentence for every regular expression in `routes` that fails."""
    return [
        problem
        for index, route in enumerate(routes)
        for problem in check_route(index, route)
    ]


def check_route(index: int, route: RouteConfig) -> list[str]:
    """Return a sentence for every regular expression of one route that fails."""
    where = f"routes[{index}] ({route.name!r}).match"
    patterns = {"subject": route.match.subject, "body": route.match.body}
    patterns |= {f"headers.{k}": v for k, v in route.match.headers.items()}
    return [
        f"{where}.{name} is not a valid regular expression ({error}); fix the pattern"
        for name, pattern in patterns.items()
        if (error := regex_error(pattern))
    ]


def glob_matches(pattern: str, value: str) -> bool:
    """Tell whether `value` matches the glob `pattern`, ignoring case."""
    return fnmatchcase(value.lower(), pattern.lower())


def _matches(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Tell whether every criterion given holds for the mail."""
    return all(check(criteria, mail, mailbox) for check in _CHECKS)


def _mailbox(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Match the mailbox the mail arrived in."""
    return not criteria.mailbox or _glob_any(criteria.mailbox, [mailbox])


def _sender(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Match the sender's address."""
    address = mail.sender.email if mail.sender else ""
    return not criteria.sender or _glob_any(criteria.sender, [address])


def _sender_domain(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Match the domain of the sender's address."""
    domain = mail.sender.email.rpartition("@")[2] if mail.sender else ""
    return not criteria.sender_domain or _glob_any(criteria.sender_domain, [domain])


def _recipient(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Match any address in To or Cc."""
    addresses = [address.email for address in [*mail.to, *mail.cc]]
    return not criteria.recipient or _glob_any(criteria.recipient, addresses)


def _subject(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Search the subject with the configured pattern."""
    return criteria.subject is None or _search(criteria.subject, mail.subject)


def _body(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Search the text body with the configured pattern."""
    return criteria.body is None or _search(criteria.body, mail.text_body)


def _importance(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Match the mail's importance."""
    return not criteria.importance or mail.importance in criteria.importance


def _attachments(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Match whether the mail carries files that are not inline images."""
    if criteria.has_attachments is None:
        return True
    attached = any(not file.inline for file in mail.attachments)
    return attached == criteria.has_attachments


def _headers(criteria: Criteria, mail: NormalizedMail, mailbox: str) -> bool:
    """Search each named header with its pattern; a missing header fails."""
    for name, pattern in criteria.headers.items():
        value = mail.header(name)
        if value is None or not _search(pattern, value):
            return False
    return True


_CHECKS: tuple[Check, ...] = (
    _mailbox,
    _sender,
    _sender_domain,
    _recipient,
    _subject,
    _body,
    _importance,
    _attachments,
    _headers,
)


def _glob_any(patterns: list[str], values: list[str]) -> bool:
    """Tell whether any value matches any glob pattern, ignoring case."""
    return any(glob_matches(pattern, value) for pattern in patterns for value in values)


def _search(pattern: str, text: str) -> bool:
    """Search `text` for `pattern`, ignoring case; a bad pattern never matches.

    `^` and `$` match at each line. check_routes reports bad patterns when
    the configuration is read.
    """
    return search_ignoring_case(pattern, text, re.MULTILINE)
