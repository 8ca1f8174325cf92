"""GraphMailbox.check: what `mailroom check` reports for each probe."""

from __future__ import annotations

from typing import Any

import httpx
from azure.core.exceptions import ClientAuthenticationError

from adapters.mail.graph import GraphMailbox
from tests.adapters.mail.fake_graph import FakeGraph, error
from tests.adapters.mail.graph_pipeline import HELPDESK, graph_config

WATCHED = [(HELPDESK, ["Inbox", "SentItems"])]


class RefusingCredential:
    """A credential whose secret Microsoft Entra ID does not accept."""

    async def get_token(self, *scopes: str, **options: Any) -> None:
        """Refuse, as Entra ID does for a wrong or expired secret."""
        raise ClientAuthenticationError("AADSTS7000215: Invalid client secret.")

    async def close(self) -> None:
        """Nothing to close."""


def test_a_working_setup_passes_every_probe(mailbox: GraphMailbox) -> None:
    """Sign-in, both folders and the subscription list all pass."""
    probes = mailbox.check(WATCHED)

    assert [p.name for p in probes] == [
        "sign-in",
        f"read {HELPDESK} Inbox",
        f"read {HELPDESK} SentItems",
        "list subscriptions",
    ]
    assert all(p.ok for p in probes)


def test_a_mailbox_outside_the_apps_scope_is_explained(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A 403 on a folder names the permission and the access policy to check."""
    graph.answers.append(
        (("GET", "mailFolders/Inbox"), error(403, "ErrorAccessDenied", ""))
    )

    [_, inbox, sent, _] = mailbox.check(WATCHED)

    assert not inbox.ok and "Application Mail.Read" in inbox.detail
    assert "New-ApplicationAccessPolicy" in inbox.detail
    assert sent.ok


def test_an_unknown_folder_is_explained(
    graph: FakeGraph, mailbox: GraphMailbox
) -> None:
    """A 404 on a folder points at the mailbox address and folder name."""
    graph.answers.append(
        (("GET", "mailFolders/SentItems"), error(404, "ErrorInvalidIdMalformed", ""))
    )

    [_, _, sent, _] = mailbox.check(WATCHED)

    assert not sent.ok and "well-known name" in sent.detail


def test_a_refused_secret_stops_at_sign_in(graph: FakeGraph) -> None:
    """A credential Entra ID refuses names the settings; nothing else is tried."""
    section = graph_config().mail.graph
    assert section is not None
    adapter = GraphMailbox(
        section,
        "https://mailroom.example.org",
        credential=RefusingCredential(),  # type: ignore[arg-type]
        http=lambda: httpx.AsyncClient(transport=httpx.MockTransport(graph.handle)),
    )

    [probe] = adapter.check(WATCHED)
    adapter.close()

    assert not probe.ok and "mail.graph.tenant_id" in probe.detail
    assert graph.requests == []
