"""Threading: candidates to look up, and the decision for each kind of mail."""

from __future__ import annotations

from typing import Any

import pytest

from mailroom.config import ThreadingConfig
from mailroom.models import Classification, MailKind, ThreadDecision
from mailroom.threads import (
    ThreadContext,
    ThreadRecord,
    decide_thread,
    thread_candidates,
)
from tests.domain.mailfactory import make_mail

PRINTER = ThreadRecord(tickets={"jira": "HELP-42"}, subject="Printer offline")
LAPTOP = ThreadRecord(tickets={"jira": "HELP-7"}, subject="Laptop battery")


def _decide(
    kind: MailKind,
    context: ThreadContext,
    policy: ThreadingConfig | None = None,
    **values: Any,
) -> ThreadDecision:
    """Thread a mail of `kind` built from `values` against `context`."""
    mail = make_mail(**values)
    classification = Classification(kind=kind, reason="test")
    return decide_thread(mail, classification, context, policy or ThreadingConfig())


def test_candidates_put_in_reply_to_first_then_references_newest_first() -> None:
    """Message ids come In-Reply-To first, then References newest first."""
    mail = make_mail(in_reply_to=["<c>"], references=["<a>", "<b>", "<c>"])

    assert thread_candidates(mail, []).message_ids == ["<c>", "<b>", "<a>"]


def test_candidates_list_subject_keys_and_quoted_ids() -> None:
    """Subject keys and Message-ID lines quoted in the text are listed."""
    mail = make_mail(
        subject="Undelivered: [HELP-64] Request", text_body="Message-ID: <ack@x>\n"
    )
    lookup = thread_candidates(mail, ["HELP"])

    assert (lookup.keys, lookup.returned_ids) == (["HELP-64"], ["<ack@x>"])


def test_in_reply_to_wins_over_subject_key() -> None:
    """A header link beats a ticket key in the subject."""
    context = ThreadContext(by_message_id={"<p>": PRINTER}, by_key={"HELP-7": LAPTOP})
    decision = _decide(
        "reply", context, in_reply_to=["<p>"], subject="Re: [HELP-7] Printer offline"
    )

    assert (decision.action, decision.signal) == ("comment", "in-reply-to")
    assert decision.tickets == {"jira": "HELP-42"}


def test_references_newest_known_id_wins() -> None:
    """Of several known references, the newest one threads."""
    context = ThreadContext(by_message_id={"<a>": LAPTOP, "<b>": PRINTER})
    decision = _decide("reply", context, references=["<a>", "<b>"])

    assert (decision.signal, decision.tickets) == ("references", PRINTER.tickets)


def test_subject_key_threads_a_reply_without_headers() -> None:
    """A ticket key in the subject threads when no header links."""
    context = ThreadContext(by_key={"HELP-42": PRINTER})
    decision = _decide("reply", context, subject="SV: [HELP-42] Printer offline")

    assert (decision.action, decision.signal) == ("comment", "ticket-key")


def test_reply_prefix_alone_opens_a_new_ticket() -> None:
    """A reply prefix with no known link never threads by subject."""
    decision = _decide("reply", ThreadContext(), subject="Re: Printer offline")

    assert (decision.action, decision.signal) == ("new", "none")
    assert "never threads" in decision.reason


def test_changed_subject_opens_a_linked_ticket() -> None:
    """A reply that changes the topic starts a ticket linked to the old one."""
    context = ThreadContext(by_message_id={"<p>": PRINTER})
    decision = _decide(
        "reply", context, in_reply_to=["<p>"], subject="RE: Laptop battery swelling"
    )

    assert (decision.action, decision.tickets) == ("linked_new", PRINTER.tickets)


def test_changed_subject_comments_when_policy_says_so() -> None:
    """threading.subject_change = comment keeps it on the old ticket."""
    context = ThreadContext(by_message_id={"<p>": PRINTER})
    policy = ThreadingConfig(subject_change="comment")
    decision = _decide(
        "reply", context, policy, in_reply_to=["<p>"], subject="Re: Laptop swelling"
    )

    assert decision.action == "comment"


def test_subject_on_the_same_topic_is_no_change() -> None:
    """A subject sharing a topic word with its thread stays a comment."""
    context = ThreadContext(by_message_id={"<p>": PRINTER})
    decision = _decide(
        "reply", context, in_reply_to=["<p>"], subject="AW: [HELP-42] printer  OFFLINE?"
    )

    assert decision.action == "comment"


def test_forward_of_a_threaded_mail_follows_policy() -> None:
    """A forward on a ticket becomes a linked ticket, or a comment by policy."""
    context = ThreadContext(by_key={"HELP-42": PRINTER})
    subject = "WG: [HELP-42] Printer offline"
    linked = _decide("forward", context, subject=subject)
    comment = _decide(
        "forward", context, ThreadingConfig(forward="comment"), subject=subject
    )

    assert (linked.action, comment.action) == ("linked_new", "comment")


def test_reply_on_a_closed_ticket_opens_a_linked_one() -> None:
    """A reply to a closed ticket starts a new one linked to it."""
    closed = PRINTER.model_copy(update={"closed": True})
    decision = _decide(
        "reply", ThreadContext(by_message_id={"<p>": closed}), in_reply_to=["<p>"]
    )

    assert decision.action == "linked_new"


def test_auto_reply_on_a_ticket_is_skipped_with_the_ticket() -> None:
    """An auto-reply on a ticket is skipped, naming the ticket for a note."""
    context = ThreadContext(by_message_id={"<ack>": PRINTER})
    decision = _decide("auto_reply", context, in_reply_to=["<ack>"])

    assert (decision.action, decision.tickets) == ("skip", PRINTER.tickets)
    assert decision.reason.startswith("automated mail on ticket HELP-42")


def test_bounce_finds_its_ticket_by_the_quoted_message_id() -> None:
    """A bounce threads through the Message-ID of the returned mail."""
    context = ThreadContext(by_message_id={"<ack>": PRINTER})
    decision = _decide("bounce", context, text_body="Message-ID: <ack>\n")

    assert (decision.action, decision.signal) == ("skip", "returned-message-id")
    assert decision.tickets == PRINTER.tickets


def test_quoted_message_id_threads_only_bounces() -> None:
    """A person quoting a Message-ID line is not threaded by it."""
    context = ThreadContext(by_message_id={"<ack>": PRINTER})
    decision = _decide("new", context, text_body="Message-ID: <ack>\n")

    assert decision.action == "new"


@pytest.mark.parametrize("kind", ["auto_reply", "bounce", "list", "own"])
def test_automated_mail_without_ticket_is_skipped(kind: MailKind) -> None:
    """Machine mail that links to nothing is skipped."""
    decision = _decide(kind, ThreadContext())

    assert (decision.action, decision.tickets) == ("skip", {})


def test_list_mail_on_a_ticket_leaves_no_note() -> None:
    """List and own mail are skipped without naming a ticket."""
    context = ThreadContext(by_message_id={"<p>": PRINTER})
    decision = _decide("list", context, in_reply_to=["<p>"])

    assert (decision.action, decision.tickets) == ("skip", {})


def test_sent_mail_on_a_ticket_is_a_comment() -> None:
    """An agent's answer from Outlook lands on the ticket."""
    context = ThreadContext(by_message_id={"<p>": PRINTER})
    decision = _decide("sent", context, in_reply_to=["<p>"], subject="Other topic")

    assert (decision.action, decision.tickets) == ("comment", PRINTER.tickets)


def test_sent_mail_without_ticket_is_skipped() -> None:
    """An agent's unrelated mail is not turned into a ticket."""
    decision = _decide("sent", ThreadContext())

    assert (decision.action, decision.signal) == ("skip", "none")


def test_conversation_threads_only_with_thread_index() -> None:
    """Exchange's conversation id counts only when Outlook's Thread-Index is set."""
    context = ThreadContext(by_conversation=PRINTER)
    without = _decide("reply", context, subject="Re: Printer offline")
    with_index = _decide("reply", context, headers={"Thread-Index": "AdEsm/Pf"})

    assert (without.action, with_index.signal) == ("new", "conversation-id")
