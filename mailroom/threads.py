"""Threading: which ticket a mail belongs to, and what to do with it.

The signals are tried in this order; the first that leads to a known thread
decides, and the decision names it:

1. ``in-reply-to``: an In-Reply-To id of a mail Mailroom has seen or sent.
2. ``references``: a References id, newest first.
3. ``returned-message-id``: for a bounce or an auto-reply, the Message-ID of
   the mail it returns or reports on, from the report's parts (returned
   headers, a receipt's Original-Message-ID) or a quoted ``Message-ID:``
   line of its text.
4. ``thread-index``: the conversation root of Outlook's Thread-Index header.
5. ``conversation-id``: Graph's conversationId.

Both conversation signals count only for a mail whose Thread-Index goes
beyond its root, that is, one that answers or forwards a mail of the
conversation: without a Thread-Index Exchange groups mail by subject
alone, and a root alone starts a conversation (or is another copy of the
mail that started it).
6. ``mailroom-token``: Mailroom's own token, ``[MR:...]``, in the subject or
   in the body's opening lines.
7. ``ticket-key``: a ticket key of a connected tool in the subject, then
   ``ticket-key-in-body``: one in the body's opening lines.

A reply prefix or a subject alone never threads. Who wrote the mail does
not matter either: a reply-all by someone in Cc threads like the
requester's own reply.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from pydantic import Field

from mailroom.config import ThreadingConfig
from mailroom.models import (
    Classification,
    Model,
    NormalizedMail,
    ThreadAction,
    ThreadDecision,
)
from mailroom.subjects import topic_changed
from mailroom.thread_lookup import (
    CONVERSATION,
    ThreadLookup,
    answers_conversation,
    conversation_keys,
    returned_ids,
    thread_candidates,
    thread_index_root,
)

__all__ = [
    "ThreadContext",
    "ThreadLookup",
    "ThreadRecord",
    "conversation_keys",
    "decide_thread",
    "thread_candidates",
    "thread_index_root",
]

# Signals that say nothing about the topic, so a new subject may leave it.
_TOPIC_BLIND = (
    "in-reply-to",
    "references",
    "thread-index",
    "conversation-id",
    "ticket-key-in-body",
)
_NOTED_KINDS = ("auto_reply", "bounce", "ticket_system")


class ThreadRecord(Model):
    """What the state knows about one thread: its tickets and subject."""

    tickets: dict[str, str]
    subject: str
    closed: bool = False
    closed_at: datetime | None = None


class ThreadContext(Model):
    """The thread records found in state for a mail's candidates.

    Each mapping is keyed like the ThreadLookup list it answers; `by_key`
    keeps the lookup's order, subject keys first.
    """

    by_message_id: dict[str, ThreadRecord] = Field(default_factory=dict)
    # Keyed by the mail's own Message-ID: the ticket an answer to this mail
    # opened, having arrived before it.
    by_answer: dict[str, ThreadRecord] = Field(default_factory=dict)
    by_key: dict[str, ThreadRecord] = Field(default_factory=dict)
    by_token: dict[str, ThreadRecord] = Field(default_factory=dict)
    by_conversation: dict[str, ThreadRecord] = Field(default_factory=dict)


class _Link(NamedTuple):
    """A thread a mail was found to belong to, and the signal that said so."""

    record: ThreadRecord
    signal: str


def decide_thread(
    mail: NormalizedMail,
    classification: Classification,
    context: ThreadContext,
    policy: ThreadingConfig,
    *,
    now: datetime | None = None,
) -> ThreadDecision:
    """Decide whether `mail` opens a ticket, comments on one, or is skipped.

    Machine mail never becomes a public comment, and mail sent from a
    watched mailbox only ever comments. A reply to a closed ticket reopens
    it within the grace period counted back from `now`; without `now`, or
    later, it opens a linked follow-up.
    """
    link = _find_link(mail, classification, context)
    if classification.automated:
        return _automated(classification, link)
    if classification.kind == "sent":
        return _sent(link)
    if link is None:
        return _unlinked(classification)
    return _linked(mail, classification, link, policy, now)


Finder = Callable[[NormalizedMail, Classification, ThreadContext], _Link | None]


def _find_link(
    mail: NormalizedMail, classification: Classification, context: ThreadContext
) -> _Link | None:
    """Find the link of the first signal, in the module's order, that has one."""
    for finder in _FINDERS:
        link = finder(mail, classification, context)
        if link is not None:
            return link
    return None


def _by_in_reply_to(
    mail: NormalizedMail, _: Classification, context: ThreadContext
) -> _Link | None:
    """Link through an In-Reply-To id."""
    return _first(mail.in_reply_to, context.by_message_id, "in-reply-to")


def _by_references(
    mail: NormalizedMail, _: Classification, context: ThreadContext
) -> _Link | None:
    """Link through a References id, newest first."""
    newest_first = list(reversed(mail.references))
    return _first(newest_first, context.by_message_id, "references")


def _by_returned_id(
    mail: NormalizedMail, classification: Classification, context: ThreadContext
) -> _Link | None:
    """Link a bounce or an auto-reply through the id of the mail it returns."""
    if classification.kind not in ("bounce", "auto_reply"):
        return None
    return _first(returned_ids(mail), context.by_message_id, "returned-message-id")


def _by_earlier_answer(
    mail: NormalizedMail, _: Classification, context: ThreadContext
) -> _Link | None:
    """Link a mail to the ticket an answer to it opened before it arrived."""
    own = [mail.message_id] if mail.message_id else []
    return _first(own, context.by_answer, "answered-before-arrival")


def _by_thread_index(
    mail: NormalizedMail, _: Classification, context: ThreadContext
) -> _Link | None:
    """Link through the conversation root of Outlook's Thread-Index."""
    if not answers_conversation(mail):
        return None
    root_key = conversation_keys(mail, None)
    return _first(root_key, context.by_conversation, "thread-index")


def _by_conversation(
    mail: NormalizedMail, _: Classification, context: ThreadContext
) -> _Link | None:
    """Link through Graph's conversationId."""
    if not answers_conversation(mail):
        return None
    keys = [key for key in context.by_conversation if key.startswith(CONVERSATION)]
    return _first(keys, context.by_conversation, "conversation-id")


def _by_token(
    _: NormalizedMail, __: Classification, context: ThreadContext
) -> _Link | None:
    """Link through Mailroom's own token."""
    return _first(list(context.by_token), context.by_token, "mailroom-token")


def _by_key(
    mail: NormalizedMail, _: Classification, context: ThreadContext
) -> _Link | None:
    """Link through a ticket key, naming whether the subject or body held it."""
    if not context.by_key:
        return None
    key, record = next(iter(context.by_key.items()))
    in_subject = _mentions(mail.subject, key)
    return _Link(record, "ticket-key" if in_subject else "ticket-key-in-body")


_FINDERS: tuple[Finder, ...] = (
    _by_in_reply_to,
    _by_references,
    _by_returned_id,
    _by_earlier_answer,
    _by_thread_index,
    _by_conversation,
    _by_token,
    _by_key,
)


def _first(
    candidates: list[str], found: dict[str, ThreadRecord], signal: str
) -> _Link | None:
    """Return a link to the first candidate that `found` knows."""
    for candidate in candidates:
        if candidate in found:
            return _Link(found[candidate], signal)
    return None


def _automated(classification: Classification, link: _Link | None) -> ThreadDecision:
    """Skip machine mail, naming the ticket an internal note may go on."""
    if link is None or classification.kind not in _NOTED_KINDS:
        reason = f"automated mail ({classification.kind}) on no known ticket"
        signal = "none" if link is None else link.signal
        return ThreadDecision(action="skip", signal=signal, reason=reason)

    keys = _keys(link.record)
    return ThreadDecision(
        action="skip",
        tickets=link.record.tickets,
        signal=link.signal,
        reason=f"automated mail on ticket {keys} ({classification.kind}): "
        "an internal note, never a public comment",
    )


def _sent(link: _Link | None) -> ThreadDecision:
    """Comment with an agent's mail when it belongs to a ticket."""
    if link is None:
        reason = "mail sent from a watched mailbox belongs to no known ticket"
        return ThreadDecision(action="skip", signal="none", reason=reason)

    return ThreadDecision(
        action="comment",
        tickets=link.record.tickets,
        signal=link.signal,
        reason=f"mail sent from a watched mailbox on ticket {_keys(link.record)}",
    )


def _unlinked(classification: Classification) -> ThreadDecision:
    """Open a new ticket for a person's mail that links to no thread."""
    reason = "no message id, conversation, token or ticket key matches a ticket"
    if classification.kind == "reply":
        reason += "; a reply prefix or subject alone never threads"
    return ThreadDecision(action="new", signal="none", reason=reason)


def _linked(
    mail: NormalizedMail,
    classification: Classification,
    link: _Link,
    policy: ThreadingConfig,
    now: datetime | None,
) -> ThreadDecision:
    """Comment on a thread, reopen it, or open a linked ticket by policy."""
    action, reason = _policy_action(mail, classification, link, policy)
    reopen = False
    if action == "comment" and link.record.closed:
        action, reopen, reason = _closed(link.record, policy, now)

    return ThreadDecision(
        action=action,
        tickets=link.record.tickets,
        signal=link.signal,
        reason=f"{reason} (found by {link.signal})",
        reopen=reopen,
    )


def _policy_action(
    mail: NormalizedMail,
    classification: Classification,
    link: _Link,
    policy: ThreadingConfig,
) -> tuple[ThreadAction, str]:
    """Choose between a comment and a linked ticket for a linked mail."""
    keys = _keys(link.record)
    if classification.kind == "forward":
        action = policy.forward
        reason = f"forward of mail on ticket {keys}; threading.forward is {action}"
        return action, reason

    blind = link.signal in _TOPIC_BLIND
    if blind and topic_changed(mail.subject, link.record.subject):
        action = policy.subject_change
        reason = f"reply on ticket {keys} with a new subject; "
        return action, f"{reason}threading.subject_change is {action}"
    return "comment", f"reply on ticket {keys}"


def _closed(
    record: ThreadRecord, policy: ThreadingConfig, now: datetime | None
) -> tuple[ThreadAction, bool, str]:
    """Reopen a closed ticket within the grace period, else follow it up."""
    keys, days = _keys(record), policy.reopen_grace_days
    if now is None or record.closed_at is None:
        reason = f"ticket {keys} is closed, when is not known"
    elif not days:
        reason = f"ticket {keys} is closed and threading.reopen_grace_days is 0"
    elif _aware(now) - _aware(record.closed_at) <= timedelta(days=days):
        reason = f"reply on ticket {keys}, closed within {days} days: reopen it"
        return "comment", True, reason
    else:
        reason = f"ticket {keys} closed more than {days} days ago"
    return "linked_new", False, f"{reason}; a linked follow-up"


def _mentions(subject: str, key: str) -> bool:
    """Tell whether a subject holds a key; `AB#12` may stand there as `#12`."""
    needle = key[key.index("#") :] if "#" in key else key
    return needle.casefold() in subject.casefold()


def _aware(moment: datetime) -> datetime:
    """Read a time without a zone as UTC, so that any two compare."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _keys(record: ThreadRecord) -> str:
    """Name the tickets of a thread for a reason sentence."""
    return ", ".join(record.tickets.values()) or "(unknown)"
