"""Azure DevOps signs in with a PAT or with Entra tokens."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from adapters.trackers.azure_devops import AzureDevOpsTracker
from mailroom.errors import ConfigurationError
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_azure_devops import ENTRA, FakeAzureDevOps, section


@dataclass
class Token:
    """The shape of an azure-identity access token."""

    token: str


class FakeCredential:
    """A credential that hands out one token and records the scopes asked."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str) -> Token:
        """Return the test token."""
        self.scopes += scopes
        return Token(ENTRA)


def test_entra_tokens_sign_requests_for_the_azure_devops_resource() -> None:
    """With auth: entra, requests carry a bearer token for Azure DevOps."""
    fake, credential = FakeAzureDevOps(), FakeCredential()
    client = httpx.Client(transport=httpx.MockTransport(fake.handle))
    config = section(auth="entra", personal_access_token=None)
    tracker = AzureDevOpsTracker("boards", config, client, credential=credential)

    assert tracker.create_ticket(draft()).key.startswith("AB#")
    assert set(credential.scopes) == {"499b84ac-1321-427f-aa17-267ca6975798/.default"}


def test_pat_auth_without_a_token_names_the_setting() -> None:
    """A missing PAT is a configuration error naming the key and the choice."""
    client = httpx.Client(transport=httpx.MockTransport(FakeAzureDevOps().handle))
    with pytest.raises(ConfigurationError, match=r"trackers\.boards\.auth"):
        AzureDevOpsTracker("boards", section(personal_access_token=None), client)
