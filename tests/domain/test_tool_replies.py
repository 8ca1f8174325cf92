"""Mail for tool events: never to a watched mailbox, headers within bounds."""

from __future__ import annotations

from mailroom.bounds import SUBJECT_LIMIT
from mailroom.models import Address, OutgoingMail, TicketRef
from mailroom.tool_events import ToolEvent
from mailroom.tool_replies import (
    compose_comment_reply,
    compose_failure_notice,
    compose_new_ticket_mail,
    reply_recipients,
)
from tests.domain.mailfactory import make_mail

HELPDESK = "helpdesk@example.org"
OWN = [HELPDESK, "it@example.org"]
MARKER = ("X-Mailroom-Id", "k1")
TICKET = TicketRef(tool="local", key="HELP-1", url="https://t.example.org/HELP-1")
IVY = Address(email="ivy@example.com", name="Ivy")
COMMENT = ToolEvent(
    tool="local", kind="comment", ticket_key="HELP-1", event_id="e1", body="Fixed."
)


def _created(requester: Address, summary: str = "Badge reader") -> ToolEvent:
    """Return a ticket opened in the tool for `requester`."""
    return ToolEvent(
        tool="local",
        kind="created",
        ticket_key="HELP-1",
        event_id="e2",
        requester=requester,
        summary=summary,
    )


def _emails(addresses: list[Address]) -> list[str]:
    """Return the bare addresses."""
    return [a.email for a in addresses]


def test_reply_all_to_a_watched_reply_to_answers_the_sender() -> None:
    """Reply-To: the helpdesk gives way to From; no watched mailbox is copied."""
    mail = make_mail(
        sender=IVY,
        reply_to=[Address(email="HELPDESK@example.org")],
        to=[Address(email="Helpdesk@Example.org")],
        cc=[Address(email="it@EXAMPLE.org"), Address(email="bo@example.com")],
    )

    recipients = reply_recipients(mail, "reply_all", OWN)

    assert _emails(recipients.to) == ["ivy@example.com"]
    assert _emails(recipients.cc) == ["bo@example.com"]
    assert recipients.refused == [
        "a Reply-To address is not usable: it is a mailbox Mailroom watches"
    ]


def test_a_comment_under_a_mail_from_the_helpdesk_alone_is_not_mailed() -> None:
    """From and Reply-To both watched: the comment reply goes nowhere."""
    mail = make_mail(sender=Address(email=HELPDESK), reply_to=[])

    reply = compose_comment_reply(
        COMMENT, mail, TICKET, "reply_all", OWN, "<r1@x>", MARKER
    )

    assert reply is None


def test_a_failure_notice_never_goes_to_a_watched_mailbox() -> None:
    """The notice answers From when Reply-To names the helpdesk, else no one."""
    answered = make_mail(sender=IVY, reply_to=[Address(email=HELPDESK)])
    unanswered = make_mail(sender=Address(email="It@example.org"))

    notice = compose_failure_notice(answered, OWN, "<f1@x>", MARKER)

    assert notice is not None and _emails(notice.to) == ["ivy@example.com"]
    assert compose_failure_notice(unanswered, OWN, "<f2@x>", MARKER) is None


def test_a_tool_ticket_for_a_watched_requester_mails_no_one() -> None:
    """A tool naming the helpdesk as requester gets no mail sent to it."""
    event = _created(Address(email="HelpDesk@example.org"))

    assert compose_new_ticket_mail(event, TICKET, OWN, "<n1@x>", MARKER) is None


def test_a_tool_ticket_with_a_huge_summary_gets_a_bounded_subject() -> None:
    """The new mail's Subject and body line carry a cut summary."""
    event = _created(IVY, "Badge reader offline " * 20_000)

    mail = compose_new_ticket_mail(event, TICKET, OWN, "<n2@x>", MARKER)

    assert mail is not None and len(mail.subject) <= SUBJECT_LIMIT
    assert mail.subject.startswith("[HELP-1] Badge reader offline")
    assert len(mail.text_body) < 400


def _sent_under_huge_mail() -> list[OutgoingMail]:
    """Return the comment reply and failure notice under an oversized mail."""
    ids = [f"<r{n}@mail.example.com>" for n in range(50_000)]
    mail = make_mail(sender=IVY, subject="Disk full " * 26_000, references=ids)
    reply = compose_comment_reply(COMMENT, mail, TICKET, "reply", OWN, "<r@x>", MARKER)
    notice = compose_failure_notice(mail, OWN, "<f@x>", MARKER)
    assert reply is not None and notice is not None
    return [reply, notice]


def test_replies_under_an_oversized_mail_stay_within_bounds() -> None:
    """A 260 KB subject and 50,000 ids: Subject cut, References 21 ids."""
    for sent in _sent_under_huge_mail():
        assert len(sent.subject) <= SUBJECT_LIMIT
        assert sent.subject.startswith("RE: ") and sent.subject.endswith("\u2026")
        assert sent.in_reply_to == "<m1@mail.example.com>"
        assert sent.references[0] == "<r0@mail.example.com>"
        assert sent.references[-2:] == [
            "<r49999@mail.example.com>",
            "<m1@mail.example.com>",
        ]
        assert len(sent.references) == 21
