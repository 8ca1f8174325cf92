"""Generated mail: classification and threading never fail and always say why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom.classify import classify
from mailroom.config import ThreadingConfig
from mailroom.forwards import choose_requester, parse_forwarded_header
from mailroom.models import (
    Address,
    Classification,
    Header,
    MailKind,
    NormalizedMail,
)
from mailroom.subjects import mailroom_token
from mailroom.threads import (
    ThreadContext,
    ThreadRecord,
    decide_thread,
    thread_candidates,
)

IDS = ["<a@example.com>", "<b@example.com>", "<c.JavaMail@x.service-now.com>"]
KEYS = ["HELP-42", "INC0012345", "AB#7", "MR:0123456789ab"]
CONVERSATIONS = [f"thread-index:{'01' * 22}", "conversation-id:AAQk1"]
SIGNAL_HEADERS = [
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "X-Autoreply",
    "X-Autorespond",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "Return-Path",
    "X-Loop",
    "X-JIRA-FingerPrint",
    "X-ServiceNow-Generated",
    "X-Zendesk-From-Account-Id",
    "X-Freshdesk-Ticket-Id",
    "X-Zammad-Ticket-ID",
    "X-Mailroom-Id",
    "X-MS-Exchange-Message-Is-Ndr",
    "Thread-Index",
]
SIGNAL_VALUES = ["", "<>", "no", "auto-replied", "bulk", "junk", "All", "zammad"]
PREFIXES = ["RE: ", "AW: AW: ", "RE[2]: ", "回复\uff1a", "WG: ", "Fwd:", "SV: ", ""]
ADDRESSES = [
    "aino@example.com",
    "MAILER-DAEMON@example.net",
    "postmaster@example.net",
    "no-reply@example.org",
    "helpdesk@example.org",
    "not an address",
    "",
]

texts = st.text(max_size=40)
ids = st.lists(st.sampled_from(IDS) | texts, max_size=3)
addresses = st.builds(Address, email=st.sampled_from(ADDRESSES) | texts, name=texts)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)
) | st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.just(UTC),
)
headers = st.lists(
    st.builds(
        Header,
        name=st.sampled_from(SIGNAL_HEADERS) | texts,
        value=st.sampled_from(SIGNAL_VALUES) | texts,
    ),
    max_size=6,
)
records = st.builds(
    ThreadRecord,
    tickets=st.dictionaries(texts, texts, max_size=2),
    subject=texts,
    closed=st.booleans(),
    closed_at=st.none() | moments,
)


@st.composite
def mails(draw: st.DrawFn) -> NormalizedMail:
    """Draw a mail mixing real signals with noise."""
    subject = draw(st.sampled_from(PREFIXES)) + draw(texts)
    body = draw(st.sampled_from(["", "Message-ID: <a@example.com>\n", "HELP-42\n"]))
    return NormalizedMail(
        message_id=draw(st.none() | st.sampled_from(IDS)),
        in_reply_to=draw(ids),
        references=draw(ids),
        subject=subject
        + draw(st.sampled_from(["", " [HELP-42]", mailroom_token("k")])),
        sender=draw(st.none() | addresses),
        reply_to=draw(st.lists(addresses, max_size=2)),
        headers=draw(headers),
        content_type=draw(st.sampled_from(["text/plain", "multipart/report"])),
        report_type=draw(st.none() | st.sampled_from(["delivery-status", "x"])),
        text_body=body + draw(st.text(max_size=200)),
        returned_message_ids=draw(ids),
    )


contexts = st.builds(
    ThreadContext,
    by_message_id=st.dictionaries(st.sampled_from(IDS), records, max_size=3),
    by_key=st.dictionaries(st.sampled_from(KEYS), records, max_size=2),
    by_token=st.dictionaries(st.sampled_from(KEYS), records, max_size=1),
    by_conversation=st.dictionaries(st.sampled_from(CONVERSATIONS), records),
)
policies = st.builds(
    ThreadingConfig,
    subject_change=st.sampled_from(["linked_new", "comment"]),
    forward=st.sampled_from(["linked_new", "comment"]),
    reopen_grace_days=st.integers(0, 400),
    body_key_lines=st.integers(0, 10),
    bare_work_item_numbers=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(mails())
def test_classify_always_gives_a_kind_and_a_reason(mail: NormalizedMail) -> None:
    """Any mail is classified, with a reason."""
    result = classify(mail, "helpdesk@example.org", [], "X-Mailroom-Id", "mr.test")

    assert result.reason
    assert not (result.automated and result.acknowledge)


@settings(max_examples=150, deadline=None)
@given(mails(), contexts, policies, st.none() | moments)
def test_decide_thread_always_gives_an_action_and_a_reason(
    mail: NormalizedMail,
    context: ThreadContext,
    policy: ThreadingConfig,
    now: datetime | None,
) -> None:
    """Any mail against any state is decided, with a signal and a reason."""
    kind = classify(mail, "helpdesk@example.org", [], "X-Mailroom-Id")
    decision = decide_thread(mail, kind, context, policy, now=now)

    assert decision.reason and decision.signal
    assert decision.action == "skip" or not kind.automated


@given(mails(), st.text(max_size=12), policies)
def test_thread_candidates_never_fail(
    mail: NormalizedMail, conversation: str, policy: ThreadingConfig
) -> None:
    """Any mail yields a lookup without repeated ids."""
    lookup = thread_candidates(mail, ["HELP"], conversation, policy)

    assert len(set(lookup.all_ids())) == len(lookup.all_ids())


@given(mails(), contexts, st.sampled_from(get_args(MailKind)))
def test_every_kind_is_decided(
    mail: NormalizedMail, context: ThreadContext, kind: MailKind
) -> None:
    """Each kind of mail, whatever its signals, gets a decision."""
    classification = Classification(kind=kind, reason="generated")
    decision = decide_thread(mail, classification, context, ThreadingConfig())

    assert decision.reason


@given(st.text(max_size=300), mails(), st.lists(texts, max_size=2))
def test_forwards_never_fail(
    text: str, mail: NormalizedMail, domains: list[str]
) -> None:
    """Any text parses or not; a requester is always chosen with a reason."""
    block = "From: A <a@example.com>\nDate: x\nSubject: y\n"
    forwarded = parse_forwarded_header(f"{text}\n{block}{text}")
    _, reason = choose_requester(mail, forwarded, domains)

    assert forwarded is not None and reason
