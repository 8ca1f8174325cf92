"""Classification of mail by the signals machines and people leave."""

from __future__ import annotations

from typing import Any

import pytest

from mailroom.classify import classify
from mailroom.models import Address, Classification, NormalizedMail
from tests.domain.mailfactory import make_mail

HELPDESK = "helpdesk@example.org"
MARKER = "X-Mailroom-Id"


def _classify(**values: Any) -> Classification:
    """Classify a mail built from `values`, as it reaches the helpdesk."""
    mail = make_mail(**values)
    return classify(mail, HELPDESK, [HELPDESK, "it@example.org"], MARKER, "mr.test")


def _sender(email: str) -> Address:
    """Return a sender address."""
    return Address(email=email)


MACHINE_SIGNALS = [
    ({"headers": {MARKER: "k1"}}, "own", MARKER),
    ({"message_id": "<ack-k1@MR.test>"}, "own", "own domain"),
    (
        {"content_type": "multipart/report", "report_type": "delivery-status"},
        "bounce",
        "RFC 3464",
    ),
    ({"headers": {"X-MS-Exchange-Message-Is-Ndr": ""}}, "bounce", "Exchange"),
    ({"sender": _sender("MAILER-DAEMON@mx.example.net")}, "bounce", "MAILER-DAEMON"),
    ({"sender": _sender("postmaster@example.net")}, "bounce", "POSTMASTER"),
    (
        {"headers": {"Return-Path": "<>"}, "subject": "Undelivered Mail Returned"},
        "bounce",
        "null Return-Path",
    ),
    (
        {"headers": {"Return-Path": "< >"}, "text_body": "550 5.1.1 user unknown"},
        "bounce",
        "null Return-Path",
    ),
    (
        {"headers": {"Return-Path": "<>"}, "subject": "Mail delivery failed"},
        "bounce",
        "null Return-Path",
    ),
    (
        {"headers": {"Return-Path": "<>"}, "subject": "Delivery Status Notification"},
        "bounce",
        "null Return-Path",
    ),
    (
        {"headers": {"Return-Path": "<>"}, "text_body": "Returned mail: see below"},
        "bounce",
        "null Return-Path",
    ),
    (
        {"headers": {"Auto-Submitted": "auto-replied"}},
        "auto_reply",
        "Auto-Submitted: auto-replied (RFC 3834)",
    ),
    ({"headers": {"Auto-Submitted": "auto-generated; x=1"}}, "auto_reply", "3834"),
    ({"headers": {"Auto-Submitted": "auto-notified"}}, "auto_reply", "3834"),
    ({"headers": {"X-Autoreply": "yes"}}, "auto_reply", "X-Autoreply"),
    ({"headers": {"X-Autorespond": "yes"}}, "auto_reply", "X-Autorespond"),
    ({"headers": {"Precedence": "auto_reply"}}, "auto_reply", "auto_reply"),
    (
        {
            "content_type": "multipart/report",
            "report_type": "disposition-notification",
        },
        "auto_reply",
        "read receipt",
    ),
    ({"headers": {"List-Id": "<users.example.org>"}}, "list", "List-Id"),
    ({"headers": {"List-Unsubscribe": "<mailto:u@x>"}}, "list", "List-Unsubscribe"),
    ({"headers": {"Precedence": "bulk"}}, "list", "Precedence: bulk"),
    ({"headers": {"Precedence": "List"}}, "list", "Precedence: list"),
    ({"headers": {"Precedence": "junk"}}, "list", "Precedence: junk"),
    ({"headers": {"Return-Path": "<>"}}, "auto_reply", "null Return-Path"),
    ({"headers": {"X-Loop": "tickets@example.net"}}, "auto_reply", "X-Loop"),
    ({"headers": {"X-Auto-Response-Suppress": "All"}}, "new", "Suppress: All"),
    ({"headers": {"X-JIRA-FingerPrint": "4f1c"}}, "ticket_system", "Jira"),
    (
        {"headers": {"X-ServiceNow-Generated": "true"}},
        "ticket_system",
        "ServiceNow",
    ),
    (
        {"message_id": "<a1.b2.JavaMail.app@acme.service-now.com>"},
        "ticket_system",
        "ServiceNow",
    ),
    ({"headers": {"X-Zendesk-From-Account-Id": "12ab"}}, "ticket_system", "Zendesk"),
    ({"headers": {"X-Freshdesk-Ticket-Id": "77"}}, "ticket_system", "Freshdesk"),
    ({"headers": {"X-Zammad-Ticket-ID": "9"}}, "ticket_system", "Zammad"),
    ({"headers": {"X-Loop": "Zammad"}}, "ticket_system", "Zammad"),
    ({"headers": {"X-RT-Loop-Prevention": "acme"}}, "ticket_system", "Request Tracker"),
    ({"headers": {"X-OTRS-Loop": "yes"}}, "ticket_system", "OTRS"),
]


@pytest.mark.parametrize(("values", "kind", "reason"), MACHINE_SIGNALS)
def test_each_machine_signal_alone(
    values: dict[str, Any], kind: str, reason: str
) -> None:
    """Each signal on its own names itself and stops the acknowledgement."""
    result = _classify(**values)

    assert result.kind == kind
    assert reason in result.reason
    assert result.acknowledge is False


@pytest.mark.parametrize(
    "values",
    [
        {"subject": "Automatic reply rule does not switch off"},
        {"text_body": "My out-of-office auto-reply keeps answering.\n"},
        {"subject": "Undelivered mail to our customer"},
        {"text_body": "Version 5.1.1 of the client crashes.\n"},
        {"headers": {"Auto-Submitted": "no"}},
        {"headers": {"Precedence": "first-class"}},
    ],
)
def test_a_person_mentioning_machines_is_new(values: dict[str, Any]) -> None:
    """Words about auto-replies or bounces alone do not make a machine."""
    result = _classify(**values)

    assert (result.kind, result.acknowledge) == ("new", True)


def test_bounce_wins_over_auto_submitted() -> None:
    """A DSN that also says Auto-Submitted is a bounce."""
    result = _classify(
        sender=_sender("MAILER-DAEMON@mx.example.net"),
        headers={"Auto-Submitted": "auto-replied"},
    )

    assert result.kind == "bounce"


@pytest.mark.parametrize("sender", [HELPDESK, "IT@example.org"])
def test_mail_from_a_watched_mailbox_is_sent(sender: str) -> None:
    """An agent writing from a watched mailbox is tracked as sent mail."""
    result = _classify(sender=_sender(sender))

    assert (result.kind, result.acknowledge) == ("sent", False)


@pytest.mark.parametrize(
    ("values", "kind", "reason"),
    [
        ({"in_reply_to": ["<a@x>"]}, "reply", "In-Reply-To"),
        ({"references": ["<a@x>"]}, "reply", "References"),
        ({"subject": "AW: Drucker"}, "reply", "'AW:'"),
        ({"subject": "WG: Drucker", "references": ["<a@x>"]}, "forward", "'WG:'"),
        ({"subject": "Drucker"}, "new", "no reply"),
    ],
)
def test_person_kinds(values: dict[str, Any], kind: str, reason: str) -> None:
    """Replies, forwards and new mail are told apart, with the reason."""
    result = _classify(**values)

    assert (result.kind, result.acknowledge) == (kind, True)
    assert reason in result.reason


@pytest.mark.parametrize(
    "address",
    [
        "noreply@shop.example",
        "no-reply@parcels.example.net",
        "No_Reply@x.example",
        "donotreply@x.example",
        "do-not-reply@x.example",
        "billing-noreply@x.example",
    ],
)
def test_no_reply_sender_gets_no_acknowledgement(address: str) -> None:
    """A ticket is fine, but a no-reply address is never answered."""
    result = _classify(sender=_sender(address))

    assert (result.kind, result.acknowledge) == ("new", False)
    assert "no-reply address" in result.reason


@pytest.mark.parametrize("address", ["norah@x.example", "replyto@x.example"])
def test_addresses_that_only_resemble_no_reply(address: str) -> None:
    """Norah and replyto are people who get an answer."""
    assert _classify(sender=_sender(address)).acknowledge is True


@pytest.mark.parametrize("value", ["All", "OOF, AutoReply", "DR, oof", "AutoReply"])
def test_auto_response_suppress_withholds_the_acknowledgement(value: str) -> None:
    """X-Auto-Response-Suppress keeps the ticket but stops the reply."""
    result = _classify(headers={"X-Auto-Response-Suppress": value})

    assert (result.kind, result.acknowledge) == ("new", False)
    assert "X-Auto-Response-Suppress" in result.reason


def test_suppressing_only_receipts_still_gets_an_acknowledgement() -> None:
    """Suppressing delivery and read reports does not stop the reply."""
    result = _classify(headers={"X-Auto-Response-Suppress": "DR, NDR, RN, NRN"})

    assert result.acknowledge is True


def test_reason_names_no_address() -> None:
    """Reasons may be logged, so they never carry the sender's address."""
    result = _classify(sender=_sender("no-reply@parcels.example.net"))

    assert "parcels" not in result.reason


@pytest.mark.parametrize("sender", [None, "not-an-address", "someone@localhost"])
def test_mail_without_an_answerable_address_is_not_acknowledged(
    sender: str | None,
) -> None:
    """No valid From or Reply-To: a ticket may open, but no one is answered."""
    address = None if sender is None else Address(email=sender)
    mail = NormalizedMail(subject="Printer broken", sender=address)
    result = classify(mail, "helpdesk@example.org", [], "X-Mailroom-Id")
    assert result.kind == "new"
    assert not result.acknowledge
    assert "no valid From or Reply-To" in result.reason


def test_a_sender_address_no_mail_can_carry_is_not_acknowledged() -> None:
    """Bytes that were never an address open a ticket, with no one to answer."""
    broken = "bad\u00ff\u00fe@example.com"
    mail = NormalizedMail(subject="Printer broken", sender=Address(email=broken))

    result = classify(mail, "helpdesk@example.org", [], "X-Mailroom-Id")

    assert (result.kind, result.acknowledge) == ("new", False)
    assert result.reason.endswith(
        "no valid From or Reply-To address to answer (a From address is not "
        "usable: its local part holds characters other than ASCII)"
    )
    assert broken not in result.reason


def test_a_reply_to_naming_a_watched_mailbox_is_acknowledged_at_the_sender() -> None:
    """Reply-To: the helpdesk still gets an acknowledgement, to From."""
    result = _classify(
        sender=_sender("ivy@example.com"), reply_to=[_sender("IT@example.org")]
    )

    assert (result.kind, result.acknowledge) == ("new", True)


def test_a_reply_to_naming_only_the_arrival_mailbox_and_a_broken_sender() -> None:
    """The mailbox the mail came to counts as watched; no one is left."""
    mail = NormalizedMail(
        subject="Printer broken",
        sender=_sender("bad\u00ff\u00fe@example.com"),
        reply_to=[_sender("Desk@Example.org")],
    )

    result = classify(mail, "desk@example.org", [], MARKER)

    assert (result.kind, result.acknowledge) == ("new", False)
    assert result.reason.endswith(
        "no valid From or Reply-To address to answer (a Reply-To address is "
        "not usable: it is a mailbox Mailroom watches; a From address is not "
        "usable: its local part holds characters other than ASCII)"
    )


def test_ticket_system_mail_is_automated() -> None:
    """Another ticket system's mail counts as machine mail."""
    result = _classify(headers={"X-Zammad-Ticket-ID": "9"})

    assert result.automated is True


def test_a_bounce_from_a_ticket_system_is_a_bounce() -> None:
    """A delivery report wins over the ticket system that relayed it."""
    result = _classify(
        sender=_sender("mailer-daemon@example.net"),
        headers={"X-Zendesk-From-Account-Id": "12ab"},
    )

    assert result.kind == "bounce"


def test_a_person_quoting_a_service_now_address_is_a_person() -> None:
    """Only the mail's own Message-ID names a hosted ticket system."""
    result = _classify(references=["<a1.JavaMail.app@acme.service-now.com>"])

    assert result.kind == "reply"
