"""The acknowledgement reply: recipients, threading, headers, templates."""

from __future__ import annotations

from typing import Any

import pytest

from mailroom.acknowledgement import (
    ack_message_id,
    check_templates,
    render_acknowledgement,
)
from mailroom.bounds import SUBJECT_LIMIT
from mailroom.config import AcknowledgementConfig
from mailroom.errors import PermanentError
from mailroom.models import Address, FieldProblem, OutgoingMail, TicketRef
from tests.domain.mailfactory import make_mail

HELP_1 = TicketRef(tool="jira", key="HELP-1", url="https://t.example.org/HELP-1")
HELPDESK = "helpdesk@example.org"
INC = TicketRef(tool="snow", key="INC0012345", url="https://s.example.org/INC")


def _render(
    config: AcknowledgementConfig | None = None,
    tickets: list[TicketRef] | None = None,
    problems: list[FieldProblem] | None = None,
    **mail: Any,
) -> OutgoingMail:
    """Render the acknowledgement of a mail built from `mail`."""
    return render_acknowledgement(
        make_mail(**mail),
        [HELP_1] if tickets is None else tickets,
        problems or [],
        config or AcknowledgementConfig(),
        "<ack-k1@mr.test>",
        "X-Mailroom-Id",
        "k1",
        watched=[HELPDESK],
    )


def test_subject_carries_the_key_and_the_base_subject() -> None:
    """The subject shows the first key and the subject without prefixes."""
    outgoing = _render(subject="WG: Backup job finished — 3 files skipped")

    assert outgoing.subject == "[HELP-1] Backup job finished — 3 files skipped"


def test_reply_goes_to_reply_to_before_from() -> None:
    """Reply-To is answered when present, the sender otherwise."""
    desk = Address(email="desk@example.com")

    assert _render(reply_to=[desk]).to == [desk]
    assert _render().to[0].email == "aino.virtanen@example.com"


def test_reply_threads_under_the_mail() -> None:
    """In-Reply-To and References point at the acknowledged mail."""
    outgoing = _render(message_id="<m2@x>", references=["<m0@x>", "<m1@x>"])

    assert outgoing.in_reply_to == "<m2@x>"
    assert outgoing.references == ["<m0@x>", "<m1@x>", "<m2@x>"]


def test_headers_keep_responders_and_mailroom_quiet() -> None:
    """The reply suppresses auto-responses and carries our marker."""
    assert _render().headers == {
        "X-Auto-Response-Suppress": "All",
        "Auto-Submitted": "auto-replied",
        "X-Mailroom-Id": "k1",
    }


def test_body_lists_every_ticket_and_problem() -> None:
    """The body names each ticket's URL and each value that did not fit."""
    problem = FieldProblem(field="environment", value="staging", reason="not allowed")
    body = _render(tickets=[HELP_1, INC], problems=[problem]).text_body

    assert HELP_1.url in body and INC.url in body
    assert "environment = staging: not allowed" in body


def test_template_is_sandboxed() -> None:
    """A template reaching for Python internals fails as a PermanentError."""
    config = AcknowledgementConfig(subject="{{ subject.__class__.__mro__ }}")

    with pytest.raises(PermanentError, match=r"acknowledgement\.subject"):
        _render(config)


def test_broken_body_template_names_its_setting() -> None:
    """A syntax error names acknowledgement.body and its line."""
    config = AcknowledgementConfig(body="ok\n{% for %}")

    with pytest.raises(PermanentError, match=r"acknowledgement\.body .*line 2"):
        _render(config)


def test_failure_message_does_not_echo_mail_values() -> None:
    """A runtime error names its kind, not the value from the mail."""
    config = AcknowledgementConfig(body="{{ subject | int(base=2) + 'x' }}")

    with pytest.raises(PermanentError) as caught:
        _render(config, subject="Secret project Falcon")
    assert "Falcon" not in str(caught.value)


def test_subject_template_cannot_inject_headers() -> None:
    """Line breaks in the rendered subject are folded into spaces."""
    config = AcknowledgementConfig(subject="{{ subject }}\nBcc: x@evil.example")

    assert "\n" not in _render(config).subject


def test_mail_without_sender_cannot_be_acknowledged() -> None:
    """No From and no Reply-To is a PermanentError, not a crash."""
    with pytest.raises(PermanentError, match="no usable Reply-To or From"):
        _render(sender=None)


def test_an_unusable_reply_to_is_passed_over_for_the_sender() -> None:
    """A Reply-To no mail can carry gives way to the From address."""
    broken = Address(email="bad\u00ff\u00fe@example.com")

    assert [a.email for a in _render(reply_to=[broken]).to] == [
        "aino.virtanen@example.com"
    ]


def test_mail_with_only_unusable_addresses_cannot_be_acknowledged() -> None:
    """An unusable From and no Reply-To is a PermanentError naming no address."""
    with pytest.raises(PermanentError, match="no usable Reply-To or From"):
        _render(sender=Address(email="bad\u00ff\u00fe@example.com"))


def test_a_reply_to_naming_the_helpdesk_is_answered_at_the_sender() -> None:
    """Reply-To: the watched mailbox never becomes the acknowledgement's To."""
    outgoing = _render(
        sender=Address(email="ivy@example.com", name="Ivy"),
        reply_to=[Address(email="helpdesk@example.org")],
    )

    assert outgoing.to == [Address(email="ivy@example.com", name="Ivy")]


def test_only_watched_and_unusable_addresses_cannot_be_acknowledged() -> None:
    """A Reply-To of the helpdesk and a broken From leave no one to answer."""
    with pytest.raises(PermanentError, match="not a watched mailbox"):
        _render(
            sender=Address(email="bad\u00ff\u00fe@example.com"),
            reply_to=[Address(email="HELPDESK@example.org")],
        )


def test_an_oversized_subject_and_thread_are_bounded() -> None:
    """A 260 KB subject and 50,000 References go out within their bounds."""
    ids = [f"<r{n}@mail.example.com>" for n in range(50_000)]
    outgoing = _render(subject="Printer jammed " * 17_500, references=ids)

    assert len(outgoing.subject) <= SUBJECT_LIMIT
    assert outgoing.subject.startswith("[HELP-1] Printer jammed Printer")
    assert outgoing.subject.endswith("jammed\u2026")
    assert outgoing.in_reply_to == "<m1@mail.example.com>"
    assert outgoing.references == [ids[0], *ids[-19:], "<m1@mail.example.com>"]


def test_template_subjects_are_cut_to_a_summary() -> None:
    """`subject` and `original_subject` reach a body at summary length."""
    config = AcknowledgementConfig(body="{{ subject }}|{{ original_subject }}")

    body = _render(config, subject="RE: " + "word " * 60_000).text_body

    subject, original = body.split("|")
    assert (len(subject), len(original)) == (255, 254)
    assert original.startswith("RE: word") and original.endswith("word\u2026")


def test_ack_message_id_is_deterministic() -> None:
    """The same mail key always gives the same Message-ID."""
    assert ack_message_id("k1", "mr.test") == "<ack-k1@mr.test>"
    with pytest.raises(ValueError):
        ack_message_id("k 1", "mr.test")


def test_check_templates_reports_syntax_errors() -> None:
    """Templates are checked at start-up, naming the bad setting."""
    assert check_templates(AcknowledgementConfig()) == []
    problems = check_templates(AcknowledgementConfig(subject="{{ x "))
    assert problems[0].startswith("the template acknowledgement.subject")
