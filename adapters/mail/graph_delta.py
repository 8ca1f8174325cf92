"""Catch up on a folder with a delta query, page by page.

A round follows `@odata.nextLink` until `@odata.deltaLink`. A first round
(no link) asks only for mail received in the last `since` window and for
created items' ids. An expired link is a 410, or another 4xx whose code is
syncStateNotFound: the caller then resyncs with no link. A round that runs
past MAX_PAGES hands back its next link: both kinds of link resume a round.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration

from adapters.mail.graph_errors import GraphRefusedError
from adapters.mail.graph_session import GraphSession
from mailroom.errors import DeltaExpiredError
from mailroom.subscriptions import DeltaPage

MAX_PAGES = 50
EXPIRED_CODES = frozenset({"syncstatenotfound", "syncstateinvalid", "resyncrequired"})


async def delta(
    session: GraphSession,
    mailbox: str,
    folder: str,
    link: str | None,
    since: datetime,
) -> DeltaPage:
    """Return the ids created in a folder since `link` (or since `since`)."""
    folders = session.client.users.by_user_id(mailbox).mail_folders
    builder = folders.by_mail_folder_id(folder).messages.delta
    if link is None:
        moment = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = builder.DeltaRequestBuilderGetQueryParameters(
            select=["id"], filter=f"receivedDateTime ge {moment}", change_type="created"
        )
        config = RequestConfiguration(query_parameters=query)
    else:
        builder, config = builder.with_url(_checked(session, link, folder)), None

    item_ids: dict[str, None] = {}
    for _ in range(MAX_PAGES):
        page = await _page(session, mailbox, folder, builder, config)
        for message in page.get("value") or []:
            if isinstance(message, dict) and "@removed" not in message:
                item_ids.setdefault(str(message.get("id") or ""), None)
        item_ids.pop("", None)
        if isinstance(page.get("@odata.deltaLink"), str):
            return DeltaPage(
                item_ids=list(item_ids), delta_link=page["@odata.deltaLink"]
            )
        if not isinstance(page.get("@odata.nextLink"), str):
            raise DeltaExpiredError(
                f"Graph ended a delta round of folder {folder} without a link; "
                "the next catch-up resyncs the folder"
            )
        link = _checked(session, page["@odata.nextLink"], folder)
        builder, config = builder.with_url(link), None

    assert link is not None
    return DeltaPage(item_ids=list(item_ids), delta_link=link)


async def _page(
    session: GraphSession,
    mailbox: str,
    folder: str,
    builder: Any,
    config: RequestConfiguration[Any] | None,
) -> dict[str, Any]:
    try:
        return await session.call(
            mailbox,
            "query a folder's changes",
            lambda: session.send_json(builder.to_get_request_information(config)),
        )
    except GraphRefusedError as exc:
        failure = exc.failure
        if failure.status == 410 or failure.code.lower() in EXPIRED_CODES:
            raise DeltaExpiredError(
                f"Graph no longer honours the delta link of folder {folder}; "
                "the catch-up resyncs the folder from a time window"
            ) from exc
        raise


def _checked(session: GraphSession, link: str, folder: str) -> str:
    """Refuse a stored link that points anywhere but Graph: it gets a token."""
    if not link.startswith(session.adapter.base_url.rstrip("/") + "/"):
        raise DeltaExpiredError(
            f"the stored delta link of folder {folder} does not point at "
            "mail.graph.base_url; the catch-up resyncs the folder"
        )
    return link
