"""What to look up in state to thread a mail: ids, conversations, tokens, keys.

The handler answers a ThreadLookup with a ThreadContext (see threads.py),
and files every mail it delivers under the same keys, so that the next mail
of the thread finds it.
"""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import Field

from mailroom.config import ThreadingConfig
from mailroom.models import Model, NormalizedMail
from mailroom.subjects import find_mailroom_tokens, find_ticket_keys

THREAD_INDEX = "thread-index:"
CONVERSATION = "conversation-id:"

_QUOTED_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.I | re.M)
# Thread-Index: one reserved byte, a FILETIME of five bytes and a GUID of
# sixteen name the conversation; five bytes follow per reply.
_THREAD_ROOT_BYTES = 22


class ThreadLookup(Model):
    """Which ids, conversations, tokens and ticket keys to look up for a mail.

    Each list is in the order its signal is tried, strongest first.
    """

    message_ids: list[str] = Field(default_factory=list)
    returned_ids: list[str] = Field(default_factory=list)
    conversation_keys: list[str] = Field(default_factory=list)
    tokens: list[str] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list)

    def all_ids(self) -> list[str]:
        """Return every message id to look up, header links first."""
        return [*self.message_ids, *self.returned_ids]


def thread_candidates(
    mail: NormalizedMail,
    projects: list[str],
    conversation_id: str | None = None,
    policy: ThreadingConfig | None = None,
) -> ThreadLookup:
    """List what to look up in state to thread `mail`, strongest first.

    Message ids come In-Reply-To first, then References newest first.
    Returned ids name the mail a bounce returns: from its report's headers,
    then from Message-ID lines quoted in the text. Conversation keys come
    from Thread-Index and `conversation_id`; ticket keys from the subject,
    then from the body's opening lines; tokens from the subject, then the
    whole body, quotes included: a token is Mailroom's own and cannot be a
    passing mention, and replies usually carry it only in the quote.
    """
    policy = policy or ThreadingConfig()
    header_ids = _unique([*mail.in_reply_to, *reversed(mail.references)])
    texts = [mail.subject, opening_lines(mail.text_body, policy.body_key_lines)]
    bare = policy.bare_work_item_numbers

    keys = [find_ticket_keys(text, projects, bare_numbers=bare) for text in texts]
    tokens = [find_mailroom_tokens(text) for text in (mail.subject, mail.text_body)]
    return ThreadLookup(
        message_ids=header_ids,
        returned_ids=[mid for mid in returned_ids(mail) if mid not in header_ids],
        conversation_keys=conversation_keys(mail, conversation_id),
        tokens=_unique([*tokens[0], *tokens[1]]),
        keys=_unique([*keys[0], *keys[1]]),
    )


def conversation_keys(mail: NormalizedMail, conversation_id: str | None) -> list[str]:
    """Return the keys that file `mail` under its conversation, Outlook's first.

    The same keys serve to remember a mail's thread and to look it up.
    """
    keys: list[str] = []
    root = thread_index_root(mail.header("Thread-Index") or "")
    if root:
        keys.append(THREAD_INDEX + root)
    if conversation_id and conversation_id.strip():
        keys.append(CONVERSATION + conversation_id.strip())
    return keys


def thread_index_root(value: str) -> str | None:
    """Return the conversation root of a Thread-Index value, in hex.

    The root is the first 22 bytes; replies only append to it. A value that
    is not base64 or too short gives None.
    """
    data = _thread_index(value)
    return data[:_THREAD_ROOT_BYTES].hex() if data else None


def answers_conversation(mail: NormalizedMail) -> bool:
    """Tell whether a mail's Thread-Index shows it answers or forwards another.

    A Thread-Index of the root alone starts a conversation: a new mail, or
    another copy of one, which must not thread to its own first copy.
    """
    data = _thread_index(mail.header("Thread-Index") or "")
    return len(data or b"") > _THREAD_ROOT_BYTES


def returned_ids(mail: NormalizedMail) -> list[str]:
    """Return the ids of returned mail: the report's parts, then quoted lines."""
    quoted = _QUOTED_ID.findall(mail.text_body)
    return _unique([*mail.returned_message_ids, *quoted])


def opening_lines(text: str, count: int) -> str:
    """Return the first `count` non-blank lines of a body, before any quote."""
    lines: list[str] = []
    for line in text.splitlines():
        if len(lines) >= count or line.lstrip().startswith(">"):
            break
        if line.strip():
            lines.append(line)
    return "\n".join(lines)


def _thread_index(value: str) -> bytes | None:
    """Decode a Thread-Index value; None when it is not one."""
    text = "".join(value.split())
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if len(data) >= _THREAD_ROOT_BYTES else None


def _unique(ids: list[str]) -> list[str]:
    """Drop repeated ids, keeping the first place of each."""
    return list(dict.fromkeys(ids))
