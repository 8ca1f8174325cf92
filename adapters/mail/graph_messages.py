"""Fetch a mail as MIME with its mailbox facts, and send MIME mail.

A fetch is two GETs, sent at once: `$value` (the MIME, attachments
included) and a `$select` of the facts MIME lacks (conversationId,
parentFolderId, receivedDateTime). Graph serves MIME only raw, on `$value`,
so one response cannot carry both. The MIME is read as a stream into one
buffer and refused past `max_bytes`: memory stays bounded by the limit.

Mail goes out as MIME through sendMail (Content-Type text/plain, base64):
Graph sets only X- headers on a JSON message, and acknowledgements carry
Auto-Submitted, In-Reply-To, References and Mailroom's own Message-ID.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from dataclasses import dataclass
from datetime import datetime

import httpx
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation

from adapters.mail.graph_errors import (
    GraphRefusedError,
    GraphRetryableError,
    GraphStatusError,
    failure_of,
)
from adapters.mail.graph_session import GraphSession
from adapters.mail.local_mime import angle, build_mime
from mailroom.errors import MessageNotFoundError, PermanentError
from mailroom.models import FetchedMail, MailboxItem, OutgoingMail

logger = logging.getLogger(__name__)

FACTS = ["conversationId", "parentFolderId", "receivedDateTime"]
SENT_ITEMS = "SentItems"


@dataclass(frozen=True)
class MailFacts:
    """What Graph says about a mail that its MIME does not."""

    conversation_id: str | None
    folder: str
    received: datetime | None


async def fetch_message(
    session: GraphSession, mailbox: str, item_id: str, max_bytes: int
) -> FetchedMail:
    """Fetch one mail's MIME and facts; raise MessageNotFoundError if gone."""
    facts, raw = await asyncio.gather(
        session.call(
            mailbox, "read a mail", lambda: read_facts(session, mailbox, item_id)
        ),
        session.call(
            mailbox,
            "read a mail",
            lambda: read_mime(session, mailbox, item_id, max_bytes),
        ),
        return_exceptions=True,
    )
    for outcome in (facts, raw):
        if isinstance(outcome, GraphRefusedError) and outcome.failure.status == 404:
            raise MessageNotFoundError(
                f"item {item_id} is no longer in the mailbox; it was deleted or "
                "moved out of it"
            ) from outcome
        if isinstance(outcome, BaseException):
            raise outcome

    assert isinstance(facts, MailFacts) and isinstance(raw, bytes)
    item = MailboxItem(
        mailbox=mailbox,
        folder=facts.folder,
        item_id=item_id,
        conversation_id=facts.conversation_id,
        received_at=facts.received,
    )
    return FetchedMail(item=item, raw=raw)


async def read_facts(session: GraphSession, mailbox: str, item_id: str) -> MailFacts:
    """GET the message with `$select` of the facts MIME lacks."""
    message = session.client.users.by_user_id(mailbox).messages.by_message_id(item_id)
    query = message.MessageItemRequestBuilderGetQueryParameters(select=FACTS)
    config = RequestConfiguration(query_parameters=query)

    facts = await session.send_json(message.to_get_request_information(config))
    received = _text(facts.get("receivedDateTime"))
    return MailFacts(
        conversation_id=_text(facts.get("conversationId")),
        folder=_text(facts.get("parentFolderId")) or "",
        received=datetime.fromisoformat(received) if received else None,
    )


async def read_mime(
    session: GraphSession, mailbox: str, item_id: str, max_bytes: int
) -> bytes:
    """GET `$value` as a stream into at most `max_bytes` of memory."""
    builder = session.client.users.by_user_id(mailbox).messages
    info = builder.by_message_id(item_id).content.to_get_request_information()
    session.adapter.set_base_url_for_request_information(info)
    request = await session.adapter.convert_to_native_async(info)
    response = await session.http.send(request, stream=True)
    try:
        if response.status_code >= 400:
            await response.aread()
            raise GraphStatusError(failure_of(response))
        raw = await _bounded(response, max_bytes)
    finally:
        await response.aclose()

    if raw is None:
        raise PermanentError(
            f"item {item_id} is over {max_bytes} bytes of MIME; Mailroom leaves it "
            "in the mailbox (raise the limit given to GraphMailbox to take it)"
        )
    return raw


async def _bounded(response: httpx.Response, max_bytes: int) -> bytes | None:
    """Read a body of at most `max_bytes`; None as soon as it is longer."""
    if int(response.headers.get("content-length") or 0) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def send_mail(
    session: GraphSession, mailbox: str, mail: OutgoingMail, now: datetime
) -> str:
    """POST the mail as MIME to sendMail; return its Message-ID."""
    message_id = angle(mail.message_id)
    raw = base64.b64encode(build_mime(mailbox, mail, now))
    builder = session.client.users.by_user_id(mailbox).send_mail

    async def post() -> None:
        info = RequestInformation(
            Method.POST, builder.url_template, builder.path_parameters
        )
        info.set_stream_content(raw, "text/plain")
        await session.send_empty(info)

    await session.call(mailbox, "send a mail", post, idempotent=False)
    return message_id


async def was_sent(session: GraphSession, mailbox: str, message_id: str) -> bool:
    """Tell whether Sent Items holds a mail with this Message-ID."""
    quoted = message_id.replace("'", "''")
    folders = session.client.users.by_user_id(mailbox).mail_folders
    messages = folders.by_mail_folder_id(SENT_ITEMS).messages
    query = messages.MessagesRequestBuilderGetQueryParameters(
        filter=f"internetMessageId eq '{quoted}'", select=["id"], top=1
    )
    config = RequestConfiguration(query_parameters=query)

    found = await session.call(
        mailbox,
        "look for a sent mail",
        lambda: session.send_json(messages.to_get_request_information(config)),
    )
    return bool(found.get("value"))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def is_ambiguous(exc: BaseException) -> bool:
    """Tell whether a failed send may have gone out all the same."""
    return isinstance(exc, GraphRetryableError) and exc.failure.maybe_done
