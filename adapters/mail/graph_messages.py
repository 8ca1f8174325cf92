"""Fetch a mail as MIME in one GET, and send MIME mail.

A fetch is one GET of `$value`: the MIME, attachments included, an attached
Outlook item among them as message/rfc822. What a `$select` would add comes
from elsewhere: the folder from the change that named the mail, the time of
arrival from the MIME's Received headers, and the thread from the
Thread-Index header Exchange stamps (Graph's conversationId is left out).
The MIME is read as a stream: a mail of up to `memory_bytes` into memory,
a larger one on into blob storage while its skeleton is kept (see
graph_intake); one past `max_bytes` is refused.

Mail goes out as MIME through sendMail (Content-Type text/plain, base64):
Graph sets only X- headers on a JSON message, and acknowledgements carry
Auto-Submitted, In-Reply-To, References and Mailroom's own Message-ID.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime

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
from adapters.mail.graph_intake import Intake
from adapters.mail.graph_session import GraphSession
from adapters.mail.local_mime import angle, build_mime
from mailroom.errors import MessageNotFoundError
from mailroom.models import FetchedMail, MailboxItem, OutgoingMail

logger = logging.getLogger(__name__)

SENT_ITEMS = "SentItems"
# The port does not pass the folder: the caller has it from the change.
UNKNOWN_FOLDER = ""
HEADER_END = re.compile(rb"\r?\n\r?\n")


async def fetch_message(
    session: GraphSession,
    mailbox: str,
    item_id: str,
    new_intake: Callable[[], Intake],
) -> FetchedMail:
    """Fetch one mail's MIME in one GET; raise MessageNotFoundError if gone."""
    try:
        raw, original, token = await session.call(
            mailbox,
            "read a mail",
            lambda: read_mime(session, mailbox, item_id, new_intake()),
        )
    except GraphRefusedError as exc:
        if exc.failure.status != 404:
            raise
        raise MessageNotFoundError(
            f"item {item_id} is no longer in the mailbox; it was deleted or "
            "moved out of it"
        ) from exc

    item = MailboxItem(
        mailbox=mailbox,
        folder=UNKNOWN_FOLDER,
        item_id=item_id,
        received_at=parse_received_at(raw),
    )
    return FetchedMail(item=item, raw=raw, original=original, left_off_token=token)


def parse_received_at(raw: bytes) -> datetime | None:
    """Return when a mail arrived, from its MIME headers, in UTC.

    Each hop puts its Received header on top, so the first one that holds
    a date is the newest: Exchange's own delivery. Mail that never crossed
    a hop (what the mailbox sent, in Sent Items) has only its Date.
    """
    end = HEADER_END.search(raw)
    head = raw[: end.end()] if end else raw
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)

    stamps = [
        str(value).rpartition(";")[2] for value in headers.get_all("Received", [])
    ]
    for text in [*stamps, str(headers.get("Date", ""))]:
        moment = _parse_date(text)
        if moment is not None:
            return moment
    return None


def _parse_date(text: str) -> datetime | None:
    """Read an RFC 5322 date; one without a zone is taken as UTC."""
    try:
        moment = parsedate_to_datetime(" ".join(text.split()))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


async def read_mime(
    session: GraphSession, mailbox: str, item_id: str, intake: Intake
) -> tuple[bytes, str | None, str | None]:
    """GET `$value` as a stream through `intake`.

    Return the MIME (or the skeleton of a large mail), the blob holding a
    large mail whole, and the token marking the skeleton's left-off files.
    """
    builder = session.client.users.by_user_id(mailbox).messages
    info = builder.by_message_id(item_id).content.to_get_request_information()
    session.adapter.set_base_url_for_request_information(info)
    request = await session.adapter.convert_to_native_async(info)
    response = await session.http.send(request, stream=True)
    try:
        if response.status_code >= 400:
            await response.aread()
            raise GraphStatusError(failure_of(response))
        await _take_in(response, intake)
    finally:
        await response.aclose()

    raw, original = await intake.finish()
    return raw, original, intake.token if original else None


async def _take_in(response: httpx.Response, intake: Intake) -> None:
    """Pass the body to `intake`, stopping its upload if the body fails."""
    try:
        intake.check_length(int(response.headers.get("content-length") or 0))
        async for chunk in response.aiter_bytes():
            await intake.feed(chunk)
    except BaseException as exc:
        await intake.abort(exc)
        raise


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


def is_ambiguous(exc: BaseException) -> bool:
    """Tell whether a failed send may have gone out all the same."""
    return isinstance(exc, GraphRetryableError) and exc.failure.maybe_done
