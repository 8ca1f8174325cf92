"""Bounds on what Mailroom copies from a mail into what it writes.

A sender decides how long a Subject or a References header is, and nothing
stops either from holding megabytes. Mailroom copies them into the mail it
sends and the tickets it opens only up to the bounds here: a Subject line
or a summary is cut on a word boundary and ends with an ellipsis; the
References of a reply keep the thread's first id and its newest ones.
"""

from __future__ import annotations

from mailroom.models import Address, NormalizedMail

ELLIPSIS = "\u2026"
# Long enough for a ticket summary (255 characters) behind "RE: [KEY] ", and
# well under the 998 characters RFC 5322 allows on a line.
SUBJECT_LIMIT = 300
# A reply's References: the thread's first id and its newest 20, after the
# advice of RFC 5322 (3.6.4) to keep the root when a list is trimmed.
REFERENCES_KEPT = 20
# Real Message-IDs are well under 100 characters; one past this is not
# copied, so each id of References fits comfortably on a folded line.
MESSAGE_ID_LIMIT = 250
# A display name Mailroom writes into To or Cc, or a template shows.
NAME_LIMIT = 100


def shorten(text: str, limit: int) -> str:
    """Collapse the whitespace of `text` and cut it to `limit` characters.

    A cut ends on a word boundary with an ellipsis, inside the limit. When
    the last space leaves less than half of the limit, the cut falls inside
    the word instead, so one long word does not empty the text.
    """
    if limit < 2:
        raise ValueError("a text can only be shortened to 2 characters or more")
    words = " ".join(text.split())
    if len(words) <= limit:
        return words

    head = words[: limit - 1]
    if words[limit - 1 : limit] != " ":
        before, _, _ = head.rpartition(" ")
        head = before if len(before) >= limit // 2 else head
    return head.rstrip() + ELLIPSIS


def reply_subject(subject: str) -> str:
    """Return the Subject line of mail Mailroom sends, within SUBJECT_LIMIT."""
    return shorten(subject, SUBJECT_LIMIT)


def bounded_name(address: Address) -> Address:
    """Return `address` with its display name cut to NAME_LIMIT."""
    if len(address.name) <= NAME_LIMIT:
        return address
    return address.model_copy(update={"name": shorten(address.name, NAME_LIMIT)})


def reply_threading(mail: NormalizedMail) -> tuple[str | None, list[str]]:
    """Return the In-Reply-To and References of a reply to `mail`.

    In-Reply-To is the mail's own id; References are the mail's, then its
    id, trimmed to the first and the newest REFERENCES_KEPT. Ids longer
    than MESSAGE_ID_LIMIT are left out.
    """
    own = mail.message_id if _fits(mail.message_id) else None
    chain = [ref for ref in mail.references if _fits(ref)]
    chain = list(dict.fromkeys([*chain, *([own] if own else [])]))
    return own, root_and_newest(chain, REFERENCES_KEPT + 1)


def root_and_newest(ids: list[str], count: int) -> list[str]:
    """Return at most `count` ids of a thread: its first, then the newest.

    RFC 5322 (3.6.4) lets a writer trim References so, keeping the root.
    """
    return ids if len(ids) <= count else [ids[0], *ids[len(ids) - count + 1 :]]


def _fits(message_id: str | None) -> bool:
    """Tell whether a Message-ID is short enough to copy into a reply."""
    return message_id is not None and len(message_id) <= MESSAGE_ID_LIMIT
