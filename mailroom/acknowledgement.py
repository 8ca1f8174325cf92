"""The acknowledgement: a reply that tells the requester their tickets."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from typing import Any

from jinja2 import Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from mailroom.bounds import bounded_name, reply_subject, reply_threading, shorten
from mailroom.config import AcknowledgementConfig
from mailroom.errors import PermanentError
from mailroom.models import (
    Address,
    FieldProblem,
    NormalizedMail,
    OutgoingMail,
    TicketRef,
)
from mailroom.recipients import requester_recipients
from mailroom.subjects import mailroom_token, strip_prefixes
from mailroom.tickets import SUMMARY_LIMIT

_ENVIRONMENT = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
_ID_PART = re.compile(r"[^\s<>@]+")


def render_acknowledgement(
    mail: NormalizedMail,
    tickets: list[TicketRef],
    problems: list[FieldProblem],
    config: AcknowledgementConfig,
    message_id: str,
    marker_header: str,
    marker_value: str,
    *,
    watched: Collection[str],
) -> OutgoingMail:
    """Render the reply that lists the tickets a mail opened.

    It goes to the usable Reply-To addresses, or else to the sender, never
    to a `watched` mailbox; threads under the mail, and carries the headers
    that keep autoresponders and Mailroom itself quiet.
    Raise PermanentError when a template fails or no one can be answered.
    """
    if not tickets:
        raise PermanentError("an acknowledgement needs at least one ticket")

    values = _template_values(mail, tickets, problems)
    values["token"] = mailroom_token(marker_value)
    subject = _render("acknowledgement.subject", config.subject, values)
    in_reply_to, references = reply_threading(mail)
    return OutgoingMail(
        message_id=message_id,
        to=_recipients(mail, watched),
        subject=reply_subject(subject),
        text_body=_render("acknowledgement.body", config.body, values),
        in_reply_to=in_reply_to,
        references=references,
        headers={
            "X-Auto-Response-Suppress": "All",
            "Auto-Submitted": "auto-replied",
            marker_header: marker_value,
        },
    )


def ack_message_id(mail_key: str, domain: str) -> str:
    """Return the Message-ID of a mail's acknowledgement, the same each time."""
    if not _ID_PART.fullmatch(mail_key) or not _ID_PART.fullmatch(domain):
        raise ValueError(
            "a mail key and a Message-ID domain may not hold spaces, '<', '>' "
            "or '@'; check runtime.message_id_domain"
        )
    return f"<ack-{mail_key}@{domain}>"


def check_templates(config: AcknowledgementConfig) -> list[str]:
    """Return a sentence for each acknowledgement template that does not parse."""
    problems: list[str] = []
    for setting, source in (
        ("acknowledgement.subject", config.subject),
        ("acknowledgement.body", config.body),
    ):
        try:
            _compile(source)
        except TemplateSyntaxError as exc:
            problems.append(_describe(setting, exc))
    return problems


def _recipients(mail: NormalizedMail, watched: Collection[str]) -> list[Address]:
    """Return the usable Reply-To, or else the sender; raise when neither is."""
    recipients = requester_recipients(mail, watched)
    if not recipients.to:
        raise PermanentError(
            "the mail has no usable Reply-To or From address that is not a "
            "watched mailbox; there is no one to acknowledge, so do not ask "
            "for an acknowledgement of it"
        )
    return recipients.to


def _template_values(
    mail: NormalizedMail, tickets: list[TicketRef], problems: list[FieldProblem]
) -> dict[str, Any]:
    """Return the names a template may use, subjects cut to a summary's length."""
    subject, _ = strip_prefixes(mail.subject)
    sender = bounded_name(mail.sender or Address(email=""))
    return {
        "subject": shorten(subject, SUMMARY_LIMIT),
        "original_subject": shorten(mail.subject, SUMMARY_LIMIT),
        "requester_name": sender.name,
        "requester_email": sender.email,
        "tickets": [ticket.model_dump() for ticket in tickets],
        "problems": [problem.model_dump() for problem in problems],
    }


def _render(setting: str, source: str, values: dict[str, Any]) -> str:
    """Render one template, turning any failure into a PermanentError."""
    try:
        return _compile(source).render(values)
    except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        raise PermanentError(_describe(setting, exc)) from exc


@lru_cache(maxsize=16)
def _compile(source: str) -> Template:
    """Compile a template once; the sandbox keeps it from reaching out."""
    return _ENVIRONMENT.from_string(source)


def _describe(setting: str, exc: Exception) -> str:
    """Say which setting failed and how, without echoing the mail's values."""
    if isinstance(exc, TemplateSyntaxError):
        detail = f"line {exc.lineno}: {exc.message}"
    elif isinstance(exc, UndefinedError | SecurityError):
        detail = str(exc.message)
    else:
        # Other errors can quote a value from the mail; name the kind only.
        detail = type(exc).__name__
    return f"the template {setting} cannot be rendered ({detail}); fix it"
