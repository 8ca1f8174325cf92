"""AzureQueues against Azurite: a message sent with a delay stays hidden."""

from __future__ import annotations

import time

import pytest

from adapters.azure_storage import StorageAccount
from adapters.queues.azure import AzureQueues

pytestmark = pytest.mark.slow


def test_a_delayed_message_is_received_only_after_its_delay(
    account: StorageAccount,
) -> None:
    """Sent with a 2 s delay: hidden at once, received once it has passed."""
    queues = AzureQueues(account)
    queues.send("deliveries", "wait for me", delay=2)

    assert queues.receive("deliveries", 30, "worker") is None
    assert queues.depth("deliveries") == 1

    time.sleep(2.5)
    message = queues.receive("deliveries", 30, "worker")
    assert message is not None and message.body == "wait for me"
