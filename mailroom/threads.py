"""Threading: which ticket a mail belongs to, and what to do with it."""

from __future__ import annotations

import re
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
from mailroom.subjects import find_ticket_keys, strip_prefixes

_QUOTED_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.I | re.M)
_KEY_TAG = re.compile(r"\[\s*(?:[A-Z][A-Z0-9_]*-\d+|[A-Z]+\d{7,}|AB#\d+)\s*\]", re.I)
_WORD = re.compile(r"\w{3,}")
# Short function words that say nothing about a topic.
_COMMON = frozenset(
    {"the", "and", "for", "with", "from", "your", "our", "you", "are", "not"}
    | {"this", "that", "der", "die", "das", "und", "mit", "von", "les", "des"}
    | {"une", "pour", "avec", "por", "con", "una"}
)
_HEADER_SIGNALS = ("in-reply-to", "references", "conversation-id")


class ThreadRecord(Model):
    """What the state knows about one thread: its tickets and subject."""

    tickets: dict[str, str]
    subject: str
    closed: bool = False


class ThreadContext(Model):
    """The thread records found in state for a mail's candidates."""

    by_message_id: dict[str, ThreadRecord] = Field(default_factory=dict)
    by_key: dict[str, ThreadRecord] = Field(default_factory=dict)
    by_conversation: ThreadRecord | None = None


class ThreadLookup(Model):
    """Which message ids and ticket keys to look up in state for a mail."""

    message_ids: list[str] = Field(default_factory=list)
    returned_ids: list[str] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list)

    def all_ids(self) -> list[str]:
        """Return every message id to look up, header links first."""
        return [*self.message_ids, *self.returned_ids]


class _Link(NamedTuple):
    """A thread a mail was found to belong to, and the signal that said so."""

    record: ThreadRecord
    signal: str


def thread_candidates(mail: NormalizedMail, projects: list[str]) -> ThreadLookup:
    """List what to look up in state to thread `mail`, strongest first.

    Message ids come In-Reply-To first, then References newest first.
    Returned ids are the Message-ID lines quoted in the text, which a bounce
    carries for the mail that could not be delivered.
    """
    header_ids = _unique([*mail.in_reply_to, *reversed(mail.references)])
    quoted = _unique(_QUOTED_ID.findall(mail.text_body))
    return ThreadLookup(
        message_ids=header_ids,
        returned_ids=[mid for mid in quoted if mid not in header_ids],
        keys=find_ticket_keys(mail.subject, projects),
    )


def decide_thread(
    mail: NormalizedMail,
    classification: Classification,
    context: ThreadContext,
    policy: ThreadingConfig,
) -> ThreadDecision:
    """Decide whether `mail` opens a ticket, comments on one, or is skipped.

    A header link wins over a ticket key in the subject; a subject alone
    never threads. Machine mail never becomes a public comment, and mail
    sent from a watched mailbox only ever comments.
    """
    link = _find_link(mail, classification, context)
    if classification.automated:
        return _automated(classification, link)
    if classification.kind == "sent":
        return _sent(link)
    if link is None:
        return _unlinked(classification)
    return _linked(mail, classification, link, policy)


def _find_link(
    mail: NormalizedMail, classification: Classification, context: ThreadContext
) -> _Link | None:
    """Find the strongest link from `mail` to a known thread."""
    found = context.by_message_id
    for mid in mail.in_reply_to:
        if mid in found:
            return _Link(found[mid], "in-reply-to")
    for mid in reversed(mail.references):
        if mid in found:
            return _Link(found[mid], "references")

    if classification.kind == "bounce":
        for mid in thread_candidates(mail, []).returned_ids:
            if mid in found:
                return _Link(found[mid], "returned-message-id")
    if context.by_key:
        return _Link(next(iter(context.by_key.values())), "ticket-key")

    # Exchange groups mail without Outlook's Thread-Index by subject, and a
    # subject alone must never thread.
    if context.by_conversation and mail.header("Thread-Index"):
        return _Link(context.by_conversation, "conversation-id")
    return None


def _automated(classification: Classification, link: _Link | None) -> ThreadDecision:
    """Skip machine mail, naming the ticket an internal note may go on."""
    if link is None or classification.kind not in ("auto_reply", "bounce"):
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
    reason = "no In-Reply-To, References or ticket key matches a known ticket"
    if classification.kind == "reply":
        reason += "; a reply prefix or subject alone never threads"
    return ThreadDecision(action="new", signal="none", reason=reason)


def _linked(
    mail: NormalizedMail,
    classification: Classification,
    link: _Link,
    policy: ThreadingConfig,
) -> ThreadDecision:
    """Comment on a thread, or open a linked ticket when policy says so."""
    keys = _keys(link.record)
    action: ThreadAction
    if link.record.closed:
        action, reason = "linked_new", f"ticket {keys} is closed"
    elif classification.kind == "forward":
        action = policy.forward
        reason = f"forward of mail on ticket {keys}; threading.forward is {action}"
    elif link.signal in _HEADER_SIGNALS and _topic_changed(mail, link.record):
        action = policy.subject_change
        reason = (
            f"reply on ticket {keys} with a new subject; "
            f"threading.subject_change is {action}"
        )
    else:
        action, reason = "comment", f"reply on ticket {keys}"

    return ThreadDecision(
        action=action,
        tickets=link.record.tickets,
        signal=link.signal,
        reason=f"{reason} (found by {link.signal})",
    )


def _topic_changed(mail: NormalizedMail, record: ThreadRecord) -> bool:
    """Tell whether a reply's subject leaves the topic of its thread.

    Subjects are compared without prefixes, key tags, case or spacing. A
    subject that shares a word with the thread's, such as "Room booking -
    one more question" under "Room booking for March", stays on topic.
    """
    new, old = _normal_subject(mail.subject), _normal_subject(record.subject)
    if not new or not old or new in old or old in new:
        return False
    return not (_words(new) & _words(old))


def _normal_subject(subject: str) -> str:
    """Reduce a subject to its base, for comparing two subjects."""
    base, _ = strip_prefixes(subject)
    return " ".join(_KEY_TAG.sub(" ", base).casefold().split())


def _words(subject: str) -> set[str]:
    """Return the words of a subject that can carry its topic."""
    words = {word for word in _WORD.findall(subject) if not word.isdigit()}
    return words - _COMMON


def _keys(record: ThreadRecord) -> str:
    """Name the tickets of a thread for a reason sentence."""
    return ", ".join(record.tickets.values()) or "(unknown)"


def _unique(ids: list[str]) -> list[str]:
    """Drop repeated ids, keeping the first place of each."""
    return list(dict.fromkeys(ids))
