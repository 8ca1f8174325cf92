"""Classification: is a mail from a person, a machine, a list, or ourselves."""

from __future__ import annotations

import re
from collections.abc import Callable

from mailroom.models import Address, Classification, MailKind, NormalizedMail
from mailroom.recipients import is_watched, requester_recipients
from mailroom.subjects import prefix_kind, strip_prefixes

Signal = Callable[[NormalizedMail], str | None]

_DAEMONS = {"mailer-daemon", "postmaster"}
_BOUNCE_TEXT = re.compile(
    r"delivery status notification|undeliver(?:ed|able)|returned mail"
    r"|mail delivery (?:failed|failure)|could not be delivered"
    r"|delivery (?:has )?failed|\b5\.\d{1,3}\.\d{1,3}\b",
    re.IGNORECASE,
)
_AUTO_SUBMITTED = {"auto-replied", "auto-generated", "auto-notified"}
_NO_REPLY = re.compile(
    r"(?:^|[._+-])(?:no[._-]?reply|do[._-]?not[._-]?reply)(?:$|[._+-])",
    re.IGNORECASE,
)
_SUPPRESS = {"all", "autoreply", "oof"}
# Headers that other ticket systems put on the mail they send, by system.
_SYSTEM_HEADERS = (
    ("x-jira-fingerprint", "Jira"),
    ("x-servicenow-generated", "ServiceNow"),
    ("x-zendesk-", "Zendesk"),
    ("x-freshdesk-", "Freshdesk"),
    ("x-zammad-", "Zammad"),
    ("x-rt-loop-prevention", "Request Tracker"),
    ("x-otrs-loop", "OTRS"),
)
_SYSTEM_MESSAGE_IDS = (("service-now.com", "ServiceNow"),)


def classify(
    mail: NormalizedMail,
    mailbox: str,
    watched: list[str],
    marker_header: str,
    own_message_id_domain: str | None = None,
) -> Classification:
    """Classify a mail that arrived in `mailbox`, naming the deciding signal.

    Machines come first (our own mail, bounces, other ticket systems,
    auto-replies, lists), then mail sent from a watched mailbox, then
    replies, forwards and new mail.
    Machine mail is never acknowledged; a person's mail is not when its
    sender is a no-reply address or it asks for no automatic replies.
    """
    own = _own_signal(mail, marker_header, own_message_id_domain)
    if own:
        return Classification(kind="own", reason=own, acknowledge=False)

    for kind, signals in _MACHINE_SIGNALS:
        reason = _first_signal(signals, mail)
        if reason:
            return Classification(kind=kind, reason=reason, acknowledge=False)

    mailboxes = [mailbox, *watched]
    if mail.sender is not None and is_watched(mail.sender.email, mailboxes):
        reason = "the sender is a watched mailbox: an agent wrote this mail"
        return Classification(kind="sent", reason=reason, acknowledge=False)

    return _without_acknowledgement(_person_classification(mail), mail, mailboxes)


def _own_signal(
    mail: NormalizedMail, marker_header: str, own_domain: str | None
) -> str | None:
    """Name the sign that Mailroom itself sent this mail, if there is one."""
    if mail.header(marker_header) is not None:
        return f"our marker header {marker_header} is present"

    message_id = (mail.message_id or "").lower()
    if own_domain and message_id.endswith(f"@{own_domain.lower()}>"):
        return "the Message-ID is in Mailroom's own domain"
    return None


def _first_signal(signals: tuple[Signal, ...], mail: NormalizedMail) -> str | None:
    """Return the reason of the first signal that fires."""
    for signal in signals:
        reason = signal(mail)
        if reason:
            return reason
    return None


def _delivery_report(mail: NormalizedMail) -> str | None:
    """Detect an RFC 3464 delivery status notification."""
    is_report = mail.content_type.lower() == "multipart/report"
    if is_report and _report_type(mail) == "delivery-status":
        return "Content-Type multipart/report; report-type=delivery-status (RFC 3464)"
    return None


def _exchange_ndr(mail: NormalizedMail) -> str | None:
    """Detect Exchange's mark on its non-delivery reports."""
    if mail.header("X-MS-Exchange-Message-Is-Ndr") is not None:
        return "X-MS-Exchange-Message-Is-Ndr (Exchange non-delivery report)"
    return None


def _daemon_sender(mail: NormalizedMail) -> str | None:
    """Detect mail from a mailer daemon or a postmaster."""
    if _local_part(mail.sender) in _DAEMONS:
        return f"the sender is {_local_part(mail.sender).upper()}"
    return None


def _null_return_path(mail: NormalizedMail) -> str | None:
    """Detect a null Return-Path together with the words of a bounce."""
    if "".join((mail.header("Return-Path") or "x").split()) != "<>":
        return None

    if _BOUNCE_TEXT.search(mail.subject) or _BOUNCE_TEXT.search(mail.text_body):
        return "null Return-Path <> and a delivery-failure subject or text"
    return None


def _auto_submitted(mail: NormalizedMail) -> str | None:
    """Detect RFC 3834 Auto-Submitted with any value but "no"."""
    value = (mail.header("Auto-Submitted") or "no").split(";")[0].strip().lower()
    if value == "no":
        return None

    shown = value if value in _AUTO_SUBMITTED else "a value other than no"
    return f"Auto-Submitted: {shown} (RFC 3834)"


def _autoreply_headers(mail: NormalizedMail) -> str | None:
    """Detect the X-Autoreply and X-Autorespond headers of autoresponders."""
    for name in ("X-Autoreply", "X-Autorespond"):
        if mail.header(name) is not None:
            return f"{name} header"
    return None


def _precedence_auto_reply(mail: NormalizedMail) -> str | None:
    """Detect Precedence: auto_reply."""
    if _precedence(mail) == "auto_reply":
        return "Precedence: auto_reply"
    return None


def _loop_header(mail: NormalizedMail) -> str | None:
    """Detect X-Loop, the loop guard of mail processors and list servers."""
    if mail.header("X-Loop") is not None:
        return "X-Loop header (a mail processor's loop guard)"
    return None


def _null_sender(mail: NormalizedMail) -> str | None:
    """Detect a null Return-Path, which only notifications may carry."""
    if "".join((mail.header("Return-Path") or "x").split()) == "<>":
        return "null Return-Path <>: a notification that must not be answered"
    return None


def _system_header(mail: NormalizedMail) -> str | None:
    """Detect the headers other ticket systems put on their mail."""
    for header in mail.headers:
        name = header.name.lower()
        for start, system in _SYSTEM_HEADERS:
            if name.startswith(start):
                return f"sent by {system}, another ticket system ({header.name})"
    return None


def _system_loop(mail: NormalizedMail) -> str | None:
    """Detect Zammad's `X-Loop: zammad`."""
    if (mail.header("X-Loop") or "").strip().lower() == "zammad":
        return "sent by Zammad, another ticket system (X-Loop: zammad)"
    return None


def _system_message_id(mail: NormalizedMail) -> str | None:
    """Detect the Message-ID domains of hosted ticket systems."""
    domain = (mail.message_id or "").rpartition("@")[2].rstrip(">").lower()
    for suffix, system in _SYSTEM_MESSAGE_IDS:
        if domain == suffix or domain.endswith(f".{suffix}"):
            return f"sent by {system}, another ticket system (its Message-ID)"
    return None


def _other_report(mail: NormalizedMail) -> str | None:
    """Detect read receipts and every other machine report."""
    if mail.content_type.lower() != "multipart/report":
        return None

    if _report_type(mail) == "disposition-notification":
        return "read receipt: multipart/report; report-type=disposition-notification"
    return "a multipart/report other than a delivery status notification"


def _list_headers(mail: NormalizedMail) -> str | None:
    """Detect the List-Id and List-Unsubscribe headers of list mail."""
    for name, rfc in (("List-Id", "RFC 2919"), ("List-Unsubscribe", "RFC 2369")):
        if mail.header(name) is not None:
            return f"{name} header ({rfc})"
    return None


def _precedence_bulk(mail: NormalizedMail) -> str | None:
    """Detect Precedence: bulk, list or junk."""
    value = _precedence(mail)
    if value in ("bulk", "list", "junk"):
        return f"Precedence: {value}"
    return None


_MACHINE_SIGNALS: tuple[tuple[MailKind, tuple[Signal, ...]], ...] = (
    ("bounce", (_delivery_report, _exchange_ndr, _daemon_sender, _null_return_path)),
    ("ticket_system", (_system_header, _system_loop, _system_message_id)),
    ("auto_reply", (_auto_submitted, _autoreply_headers, _precedence_auto_reply)),
    ("auto_reply", (_other_report,)),
    ("list", (_list_headers, _precedence_bulk)),
    ("auto_reply", (_loop_header, _null_sender)),
)


def _person_classification(mail: NormalizedMail) -> Classification:
    """Tell a reply, a forward and a new mail apart."""
    kind = prefix_kind(mail.subject)
    _, prefixes = strip_prefixes(mail.subject)
    if kind == "forward":
        reason = f"the subject prefix {prefixes[0]!r} marks a forward"
        return Classification(kind="forward", reason=reason)

    if mail.in_reply_to:
        return Classification(kind="reply", reason="In-Reply-To header present")
    if mail.references:
        return Classification(kind="reply", reason="References header present")
    if kind == "reply":
        reason = f"the subject prefix {prefixes[0]!r} marks a reply"
        return Classification(kind="reply", reason=reason)
    return Classification(kind="new", reason="no reply, forward or machine signal")


def _without_acknowledgement(
    classification: Classification, mail: NormalizedMail, watched: list[str]
) -> Classification:
    """Withhold the acknowledgement from no-reply senders and suppressors.

    Nor is one sent when the only address to answer is a watched mailbox.
    """
    reasons: list[str] = []
    recipients = requester_recipients(mail, watched)
    if not recipients.to:
        detail = f" ({'; '.join(recipients.refused)})" if recipients.refused else ""
        reasons.append(f"there is no valid From or Reply-To address to answer{detail}")
    elif _NO_REPLY.search(_local_part(mail.sender)):
        reasons.append("the sender is a no-reply address")

    suppress = _suppressed(mail)
    if suppress:
        reasons.append(f"X-Auto-Response-Suppress: {suppress} asks for none")

    if not reasons:
        return classification
    reason = f"{classification.reason}; no acknowledgement: {', '.join(reasons)}"
    return classification.model_copy(update={"reason": reason, "acknowledge": False})


def _suppressed(mail: NormalizedMail) -> str | None:
    """Return the X-Auto-Response-Suppress value that rules out a reply."""
    value = mail.header("X-Auto-Response-Suppress") or ""
    for token in re.split(r"[,\s]+", value):
        if token.lower() in _SUPPRESS:
            return token
    return None


def _local_part(address: Address | None) -> str:
    """Return the lower-cased part of an address before the @."""
    if address is None:
        return ""
    local, at, _ = address.email.rpartition("@")
    return (local if at else address.email).lower()


def _report_type(mail: NormalizedMail) -> str:
    """Return the report-type parameter, lower-cased."""
    return (mail.report_type or "").strip().lower()


def _precedence(mail: NormalizedMail) -> str:
    """Return the Precedence header, lower-cased."""
    return (mail.header("Precedence") or "").strip().lower()
