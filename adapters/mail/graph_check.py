"""Probe what Mailroom needs from Graph, and say how to fix each failure.

For `mailroom check`: sign in, read every watched folder (which needs the
mail permission and a mailbox inside the app's access scope), and list the
subscriptions. Sending is not probed: it would send a mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.base_request_configuration import RequestConfiguration

from adapters.mail.graph_errors import SIGN_IN_CHECKS, credential_message
from adapters.mail.graph_session import GraphSession
from mailroom.errors import MailroomError

SCOPED_OUT = (
    "the app may not read it: assign it the Exchange role Application "
    "Mail.Read on a management scope that holds this mailbox (see "
    "docs/graph-setup.md), and check that no application access policy "
    "(New-ApplicationAccessPolicy) leaves the mailbox out"
)
NOT_FOUND = (
    "Graph knows no such mailbox or folder: check the address under "
    "'mailboxes' (a mailbox in Exchange Online) and the folder name "
    "(a well-known name such as Inbox or SentItems, or the folder's id)"
)


@dataclass(frozen=True)
class Probe:
    """One thing checked, whether it passed, and what to do if not."""

    name: str
    ok: bool
    detail: str = ""


async def check(
    session: GraphSession, mailboxes: list[tuple[str, list[str]]]
) -> list[Probe]:
    """Sign in, read each watched folder, list the subscriptions."""
    signed_in = await sign_in(session)
    if not signed_in.ok:
        return [signed_in]

    probes = [signed_in]
    for mailbox, folders in mailboxes:
        for folder in folders:
            probes.append(await read_folder(session, mailbox, folder))
    probes.append(await list_subscriptions(session))
    return probes


async def sign_in(session: GraphSession) -> Probe:
    """Ask Microsoft Entra ID for a Graph token with the configured credential."""
    host = urlsplit(session.adapter.base_url).hostname
    try:
        await session.credential.get_token(f"https://{host}/.default")
    except ClientAuthenticationError as exc:
        return Probe("sign-in", False, credential_message(exc))
    except Exception as exc:  # any failure to sign in is this probe's answer
        name = type(exc).__name__
        detail = f"could not reach Microsoft Entra ID ({name}); {SIGN_IN_CHECKS}"
        return Probe("sign-in", False, detail)
    return Probe("sign-in", True)


async def read_folder(session: GraphSession, mailbox: str, folder: str) -> Probe:
    """GET a watched folder: the mail permission and the access scope."""
    name = f"read {mailbox} {folder}"
    builder = session.client.users.by_user_id(mailbox).mail_folders
    item = builder.by_mail_folder_id(folder)
    query = item.MailFolderItemRequestBuilderGetQueryParameters(select=["id"])
    config = RequestConfiguration(query_parameters=query)
    try:
        await session.call(
            mailbox,
            "read a watched folder",
            lambda: session.send_json(item.to_get_request_information(config)),
        )
    except MailroomError as exc:
        status = getattr(getattr(exc, "failure", None), "status", None)
        detail = {403: SCOPED_OUT, 404: NOT_FOUND}.get(status or 0, str(exc))
        return Probe(name, False, detail)
    return Probe(name, True)


async def list_subscriptions(session: GraphSession) -> Probe:
    """GET /subscriptions: what renewing and catch-up rely on."""
    builder = session.client.subscriptions
    try:
        page = await session.call(
            "",
            "list subscriptions",
            lambda: session.send_json(builder.to_get_request_information()),
        )
    except MailroomError as exc:
        return Probe("list subscriptions", False, str(exc))
    count = len(page.get("value") or [])
    return Probe("list subscriptions", True, f"{count} on the first page")
