"""Build NormalizedMail objects for domain tests, by hand or from .eml files.

The product's parser lives elsewhere; this helper reads the case files with
Python's `email` package just well enough for the pure rules to be tested.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from typing import Any

from mailroom.models import Address, Header, NormalizedMail
from tests.cases import SHARED

CASES = SHARED / "cases"


def make_mail(**values: Any) -> NormalizedMail:
    """Return a plain new mail from a person, with `values` replacing fields."""
    defaults: dict[str, Any] = {
        "message_id": "<m1@mail.example.com>",
        "subject": "Printer on floor 3 offline",
        "sender": Address(email="aino.virtanen@example.com", name="Aino"),
        "to": [Address(email="helpdesk@example.org")],
        "text_body": "The printer does not answer.\n",
    }
    headers = values.pop("headers", {})
    mail = {**defaults, **values}
    mail["headers"] = [Header(name=k, value=v) for k, v in headers.items()]
    return NormalizedMail(**mail)


def read_case_mail(case: str, name: str) -> NormalizedMail:
    """Parse one .eml file of a shared case into a NormalizedMail."""
    raw = (CASES / case / name).read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return NormalizedMail(
        message_id=_one_id(message.get("Message-ID")),
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        subject=str(message.get("Subject", "")),
        sender=_address(message.get("From")),
        reply_to=_addresses(message.get_all("Reply-To", [])),
        to=_addresses(message.get_all("To", [])),
        cc=_addresses(message.get_all("Cc", [])),
        headers=[Header(name=k, value=str(v)) for k, v in message.items()],
        content_type=message.get_content_type(),
        report_type=message.get_param("report-type"),  # type: ignore[arg-type]
        text_body=_text(message),
    )


def _one_id(value: object) -> str | None:
    """Return the first message id of a header value, if any."""
    found = _ids(value)
    return found[0] if found else None


def _ids(value: object) -> list[str]:
    """Split a header value into its `<...>` message ids."""
    if value is None:
        return []
    return [f"<{part.split('>')[0]}>" for part in str(value).split("<")[1:]]


def _address(value: object) -> Address | None:
    """Turn a From value into an Address."""
    if value is None:
        return None
    name, addr = parseaddr(str(value))
    return Address(email=addr, name=name)


def _addresses(values: list[Any]) -> list[Address]:
    """Turn To/Cc values into Addresses."""
    pairs = getaddresses([str(value) for value in values])
    return [Address(email=addr, name=name) for name, addr in pairs]


def _text(message: EmailMessage) -> str:
    """Return the first text/plain part that is not an attachment."""
    part = message.get_body(preferencelist=("plain",))
    return "" if part is None else str(part.get_content()).replace("\r\n", "\n")
