"""Recipients of mail Mailroom sends: only addresses a mail can carry."""

from __future__ import annotations

import pytest

from mailroom.models import Address
from mailroom.recipients import address_problem, is_watched, requester_recipients
from tests.domain.mailfactory import make_mail

HELPDESK = "helpdesk@example.org"
BROKEN = "bad\u00ff\u00fe@example.com"  # the bytes FF FE, read as Windows-1252


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        (BROKEN, "its local part holds characters other than ASCII"),
        ("jörg@example.com", "its local part holds characters other than ASCII"),
        ("ada lindqvist@example.com", "its local part holds spaces"),
        ("a@b@example.com", "a second @"),
        ("ada..l@example.com", "its local part holds spaces"),
        ("=?utf-8?Q?Doe", "it has no local part and domain joined by @"),
        ("@example.com", "it has no local part and domain joined by @"),
        ("ada@", "its domain is not"),
        ("someone@localhost", "its domain is not a full host name"),
        ("ada@exa mple.com", "its domain is not"),
        ("ada@-example.com", "its domain is not a full host name"),
        ("ada@example.com\r\nBcc: x@example.net", "its local part holds spaces"),
        ("a" * 65 + "@example.com", "longer than 64 characters"),
    ],
)
def test_an_address_a_mail_cannot_carry_is_refused(email: str, problem: str) -> None:
    """Each unusable address is refused with a reason that does not quote it."""
    reason = address_problem(email)

    assert reason is not None and problem in reason
    assert email not in reason


@pytest.mark.parametrize(
    "email",
    [
        "ada@example.com",
        "ada.lindqvist+printer@sub.example.co.uk",
        "o'brien@example.ie",
        '"ada lindqvist"@example.com',
        "ada@bücher.example",
    ],
)
def test_an_address_a_mail_can_carry_passes(email: str) -> None:
    """Dot-atoms, quoted local parts and international domains pass."""
    assert address_problem(email) is None


def test_an_unusable_reply_to_gives_way_to_a_usable_sender() -> None:
    """A broken Reply-To does not silence the answer to a good From."""
    mail = make_mail(reply_to=[Address(email=BROKEN)])

    recipients = requester_recipients(mail, [HELPDESK])

    assert [a.email for a in recipients.to] == ["aino.virtanen@example.com"]
    assert recipients.refused == [
        "a Reply-To address is not usable: "
        "its local part holds characters other than ASCII"
    ]


def test_no_usable_address_leaves_no_one_to_answer() -> None:
    """With From and Reply-To both unusable, no one is answered, and why."""
    mail = make_mail(
        sender=Address(email=BROKEN), reply_to=[Address(email="help@localhost")]
    )

    recipients = requester_recipients(mail, [HELPDESK])

    assert recipients.to == []
    assert [reason.split(":")[0] for reason in recipients.refused] == [
        "a Reply-To address is not usable",
        "a From address is not usable",
    ]


def test_a_reply_to_naming_a_watched_mailbox_gives_way_to_the_sender() -> None:
    """Reply-To: the helpdesk itself, in any case, is passed over for From."""
    mail = make_mail(
        sender=Address(email="ivy@example.com"),
        reply_to=[Address(email="HelpDesk@Example.org")],
    )

    recipients = requester_recipients(mail, [HELPDESK])

    assert [a.email for a in recipients.to] == ["ivy@example.com"]
    assert recipients.refused == [
        "a Reply-To address is not usable: it is a mailbox Mailroom watches"
    ]


@pytest.mark.parametrize(
    ("email", "watched"),
    [
        ("helpdesk+tickets@example.org", True),
        ("HelpDesk+Urgent+2@Example.org", True),
        ("helpdesk@example.org", True),
        ("helpdesk2@example.org", False),
        ("helpdesk+tickets@example.com", False),
        ("+helpdesk@example.org", False),
    ],
)
def test_a_tagged_address_of_a_watched_mailbox_is_that_mailbox(
    email: str, watched: bool
) -> None:
    """Exchange delivers name+tag@domain to name@domain: plus addressing."""
    assert is_watched(email, [HELPDESK]) is watched


def test_a_reply_to_with_a_tag_of_the_helpdesk_gives_way_to_the_sender() -> None:
    """Reply-To: helpdesk+tickets@ reaches the helpdesk; From gets the mail."""
    mail = make_mail(
        sender=Address(email="ivy@example.com"),
        reply_to=[Address(email="helpdesk+tickets@example.org")],
    )

    recipients = requester_recipients(mail, [HELPDESK])

    assert [a.email for a in recipients.to] == ["ivy@example.com"]


def test_a_reply_to_keeps_its_addresses_that_are_not_watched() -> None:
    """Only the watched mailbox is dropped from a Reply-To naming two."""
    mail = make_mail(
        reply_to=[Address(email=HELPDESK), Address(email="ops@example.com")]
    )

    recipients = requester_recipients(mail, [HELPDESK])

    assert [a.email for a in recipients.to] == ["ops@example.com"]


def test_a_watched_reply_to_and_an_unusable_sender_leave_no_one() -> None:
    """With nothing usable left, no one is answered, and both reasons say why."""
    mail = make_mail(sender=Address(email=BROKEN), reply_to=[Address(email=HELPDESK)])

    recipients = requester_recipients(mail, ["other@example.org", HELPDESK])

    assert recipients.to == []
    assert recipients.refused == [
        "a Reply-To address is not usable: it is a mailbox Mailroom watches",
        "a From address is not usable: "
        "its local part holds characters other than ASCII",
    ]
