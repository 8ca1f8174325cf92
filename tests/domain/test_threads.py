"""Threading: candidates to look up, and the decision for each kind of mail."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mailroom.classify import classify
from mailroom.config import ThreadingConfig
from mailroom.mime import parse_mail
from mailroom.models import Address, Classification, MailKind, ThreadDecision
from mailroom.subjects import mailroom_token, token_id
from mailroom.threads import (
    ThreadContext,
    ThreadRecord,
    decide_thread,
    thread_candidates,
    thread_index_root,
)
from tests.domain.mailfactory import make_mail
from tests.domain.test_mime_meta import READ_RECEIPT

PRINTER = ThreadRecord(tickets={"jira": "HELP-42"}, subject="Printer offline")
LAPTOP = ThreadRecord(tickets={"jira": "HELP-7"}, subject="Laptop battery")
HELPDESK = Address(email="helpdesk@example.org")
CLOSED_AT = datetime(2025, 3, 1, 12, tzinfo=UTC)
CLOSED = PRINTER.model_copy(update={"closed": True, "closed_at": CLOSED_AT})


def _thread_index(root: int, replies: int = 0) -> str:
    """Return an Outlook Thread-Index: a 22-byte root and 5 bytes per reply."""
    return base64.b64encode(bytes([root]) * 22 + b"\x07" * 5 * replies).decode()


def _decide(
    kind: MailKind,
    context: ThreadContext,
    policy: ThreadingConfig | None = None,
    **values: Any,
) -> ThreadDecision:
    """Thread a mail of `kind` built from `values` against `context`."""
    now = values.pop("now", None)
    mail = make_mail(**values)
    classification = Classification(kind=kind, reason="test")
    policy = policy or ThreadingConfig()
    return decide_thread(mail, classification, context, policy, now=now)


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
    """Exchange's conversation id counts only when a Thread-Index is set."""
    context = ThreadContext(by_conversation={"conversation-id:AAQk1": PRINTER})
    without = _decide("reply", context, subject="Re: Printer offline")
    index = {"Thread-Index": _thread_index(9, replies=1)}
    with_index = _decide("reply", context, headers=index)

    assert (without.action, with_index.signal) == ("new", "conversation-id")


@pytest.mark.parametrize("index", [_thread_index(4), "AQID"])
def test_a_conversation_starter_never_threads_by_conversation(index: str) -> None:
    """A root-only or broken Thread-Index: another copy of a new mail stays new."""
    context = ThreadContext(
        by_conversation={
            f"thread-index:{'04' * 22}": PRINTER,
            "conversation-id:C": LAPTOP,
        }
    )
    decision = _decide("new", context, headers={"Thread-Index": index})

    assert (decision.action, decision.signal) == ("new", "none")


def test_thread_index_root_is_the_first_22_bytes() -> None:
    """A reply's Thread-Index has the same root as the mail it answers."""
    root = thread_index_root(_thread_index(1))

    assert root == "01" * 22
    assert thread_index_root(_thread_index(1, replies=3)) == root


@pytest.mark.parametrize("value", ["", "not base64!", "AQID", "A", "\u00e9t\u00e9"])
def test_thread_index_root_of_a_bad_value_is_none(value: str) -> None:
    """A short or undecodable Thread-Index has no root."""
    assert thread_index_root(value) is None


def test_candidates_list_conversation_keys_thread_index_first() -> None:
    """The Thread-Index root comes before Graph's conversation id."""
    mail = make_mail(headers={"Thread-Index": _thread_index(2, replies=1)})
    lookup = thread_candidates(mail, [], conversation_id="AAQk1")

    assert lookup.conversation_keys == [
        f"thread-index:{'02' * 22}",
        "conversation-id:AAQk1",
    ]


def test_thread_index_threads_a_reply_without_message_ids() -> None:
    """Outlook's conversation root alone finds the thread."""
    context = ThreadContext(by_conversation={f"thread-index:{'03' * 22}": PRINTER})
    decision = _decide("reply", context, headers={"Thread-Index": _thread_index(3, 2)})

    assert (decision.action, decision.signal) == ("comment", "thread-index")


def test_candidates_find_keys_and_tokens_in_the_opening_lines() -> None:
    """Keys and tokens come from the subject, then the body's first lines."""
    token = mailroom_token("m-1")
    body = f"About HELP-7 and {token}\n\n> HELP-8 quoted\n"
    mail = make_mail(subject="[HELP-42] Printer", text_body=body)
    lookup = thread_candidates(mail, ["HELP"])

    assert (lookup.keys, lookup.tokens) == (["HELP-42", "HELP-7"], [token_id("m-1")])


def test_candidates_read_only_the_configured_number_of_lines() -> None:
    """A key below threading.body_key_lines is not a candidate."""
    mail = make_mail(text_body="one\ntwo\nthree HELP-7\n")
    policy = ThreadingConfig(body_key_lines=2)

    assert thread_candidates(mail, ["HELP"], policy=policy).keys == []


def test_bare_work_item_numbers_count_only_when_configured() -> None:
    """`#123` is an Azure DevOps work item only by configuration."""
    mail = make_mail(subject="Re: #123 build broken")
    policy = ThreadingConfig(bare_work_item_numbers=True)

    assert thread_candidates(mail, []).keys == []
    assert thread_candidates(mail, [], policy=policy).keys == ["AB#123"]


def test_mailroom_token_threads_a_reply() -> None:
    """Mailroom's own token in the subject finds the thread."""
    token = mailroom_token("m-1")
    context = ThreadContext(by_token={token_id("m-1"): PRINTER})
    decision = _decide("reply", context, subject=f"Re: {token} Printer offline")

    assert (decision.action, decision.signal) == ("comment", "mailroom-token")


def test_body_key_with_a_new_topic_opens_a_linked_ticket() -> None:
    """A key mentioned in the body of a mail on another topic links, not comments."""
    context = ThreadContext(by_key={"HELP-42": PRINTER})
    decision = _decide(
        "new", context, subject="Laptop battery", text_body="Like HELP-42"
    )

    assert (decision.action, decision.signal) == ("linked_new", "ticket-key-in-body")


def test_body_key_on_the_same_topic_comments() -> None:
    """A key in the body of a mail on the ticket's topic comments on it."""
    context = ThreadContext(by_key={"HELP-42": PRINTER})
    decision = _decide(
        "new", context, subject="Printer still offline", text_body="As HELP-42"
    )

    assert (decision.action, decision.signal) == ("comment", "ticket-key-in-body")


SIGNALS = [
    ("in-reply-to", "by_message_id", "<irt>"),
    ("references", "by_message_id", "<ref>"),
    ("returned-message-id", "by_message_id", "<ret>"),
    ("thread-index", "by_conversation", f"thread-index:{'05' * 22}"),
    ("conversation-id", "by_conversation", "conversation-id:AAQk1"),
    ("mailroom-token", "by_token", token_id("m-1")),
    ("ticket-key", "by_key", "HELP-42"),
]
EVERY_SIGNAL: dict[str, Any] = {
    "in_reply_to": ["<irt>"],
    "references": ["<ref>"],
    "text_body": "Message-ID: <ret>\n",
    "headers": {"Thread-Index": _thread_index(5, 1)},
    "subject": f"{mailroom_token('m-1')} [HELP-42] Printer offline",
}


@pytest.mark.parametrize("strongest", range(len(SIGNALS)))
def test_signals_are_tried_in_the_documented_order(strongest: int) -> None:
    """Of the signals that find a thread, the first in the order decides."""
    found: dict[str, dict[str, ThreadRecord]] = {}
    for _, field, key in SIGNALS[strongest:]:
        found.setdefault(field, {})[key] = PRINTER
    decision = _decide("bounce", ThreadContext(**found), **EVERY_SIGNAL)

    assert decision.signal == SIGNALS[strongest][0]


def test_reply_to_a_closed_ticket_within_grace_reopens_it() -> None:
    """A reply days after closing comments and asks to reopen."""
    now = CLOSED_AT + timedelta(days=3)
    context = ThreadContext(by_message_id={"<p>": CLOSED})
    decision = _decide("reply", context, in_reply_to=["<p>"], now=now)

    assert (decision.action, decision.reopen) == ("comment", True)
    assert "reopen" in decision.reason


@pytest.mark.parametrize(
    ("days_later", "grace", "now_known"),
    [(30, 14, True), (3, 0, True), (3, 14, False)],
)
def test_reply_to_a_closed_ticket_otherwise_follows_it_up(
    days_later: int, grace: int, now_known: bool
) -> None:
    """Past the grace, with no grace, or with no clock: a linked follow-up."""
    now = CLOSED_AT + timedelta(days=days_later) if now_known else None
    policy = ThreadingConfig(reopen_grace_days=grace)
    context = ThreadContext(by_message_id={"<p>": CLOSED})
    decision = _decide("reply", context, policy, in_reply_to=["<p>"], now=now)

    assert (decision.action, decision.reopen) == ("linked_new", False)


def test_grace_compares_times_with_and_without_a_zone() -> None:
    """A close time without a zone is read as UTC."""
    naive = CLOSED.model_copy(update={"closed_at": datetime(2025, 3, 1)})
    context = ThreadContext(by_message_id={"<p>": naive})
    decision = _decide("reply", context, in_reply_to=["<p>"], now=CLOSED_AT)

    assert decision.reopen is True


def test_cc_reply_all_threads_like_the_requesters_reply() -> None:
    """Someone in Cc answering all lands on the same ticket, the same way."""
    context = ThreadContext(by_message_id={"<ack>": PRINTER})
    requester = _decide("reply", context, in_reply_to=["<ack>"])
    colleague = Address(email="lauri.makela@example.com", name="Lauri")
    to = [Address(email="aino.virtanen@example.com"), HELPDESK]
    cc_reply = _decide("reply", context, in_reply_to=["<ack>"], sender=colleague, to=to)

    assert cc_reply == requester


def test_ticket_system_mail_on_a_ticket_is_an_internal_note() -> None:
    """Another ticket system's mail on a ticket is skipped, naming the ticket."""
    context = ThreadContext(by_key={"HELP-42": PRINTER})
    decision = _decide("ticket_system", context, subject="[HELP-42] updated")

    assert (decision.action, decision.tickets) == ("skip", PRINTER.tickets)


def test_bounce_threads_by_the_report_returned_ids() -> None:
    """The Message-ID a delivery report's headers name finds the ticket."""
    context = ThreadContext(by_message_id={"<ack>": PRINTER})
    decision = _decide("bounce", context, returned_message_ids=["<ack>"])

    assert (decision.signal, decision.tickets) == (
        "returned-message-id",
        PRINTER.tickets,
    )


def test_read_receipt_threads_by_its_original_message_id() -> None:
    """A read receipt naming a known mail only in its report part threads."""
    raw = READ_RECEIPT.format(report="disposition-notification")
    mail = parse_mail(raw.encode()).mail
    kind = classify(mail, "support@example.org", ["support@example.org"], "X-Mr")
    context = ThreadContext(
        by_message_id={"<ack.12.7f3a@mailroom.example.org>": PRINTER}
    )

    decision = decide_thread(mail, kind, context, ThreadingConfig())

    assert (decision.action, decision.signal, decision.tickets) == (
        "skip",
        "returned-message-id",
        PRINTER.tickets,
    )
