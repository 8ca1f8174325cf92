"""AzureQueues against Azurite: leases, encoding, poison and replay."""

from __future__ import annotations

import base64
import time

import pytest

from adapters.azure_storage import StorageAccount
from adapters.queues.azure import AzureQueues
from mailroom.errors import PermanentError

pytestmark = pytest.mark.slow


@pytest.fixture
def queues(account: StorageAccount) -> AzureQueues:
    """Return queues under this test's own prefix."""
    return AzureQueues(account)


def test_a_message_comes_back_with_its_text_and_a_lease(queues: AzureQueues) -> None:
    """The body survives the round trip, non-ASCII included."""
    queues.send("deliveries", '{"subject": "Grüße ✓"}')

    message = queues.receive("deliveries", 30, "worker")

    assert message is not None
    assert (message.body, message.dequeue_count) == ('{"subject": "Grüße ✓"}', 1)
    assert queues.receive("deliveries", 30, "worker") is None


def test_messages_are_base64_on_the_wire_as_functions_expects(
    queues: AzureQueues, account: StorageAccount
) -> None:
    """A plain SDK client sees Base64 text, the queue trigger's default."""
    from azure.storage.queue import QueueClient

    queues.send("mail-changes", "ünïcode")
    raw = QueueClient.from_connection_string(
        account.connection_string() or "", account.name("mail-changes")
    )

    [message] = raw.peek_messages()

    assert base64.b64decode(message.content).decode() == "ünïcode"


def test_an_unsettled_message_returns_after_its_timeout(queues: AzureQueues) -> None:
    """A receiver that dies loses its lease; the next one gets try two."""
    queues.send("deliveries", "work")
    first = queues.receive("deliveries", 1, "dead worker")
    assert first is not None

    time.sleep(1.5)
    second = queues.receive("deliveries", 30, "next worker")

    assert second is not None and second.dequeue_count == 2
    assert queues.delete("deliveries", first.id, first.pop_token) is False
    assert queues.delete("deliveries", second.id, second.pop_token) is True


def test_release_makes_a_message_visible_after_the_delay(queues: AzureQueues) -> None:
    """A released message is received again once its delay has passed."""
    queues.send("acknowledgements", "retry me")
    message = queues.receive("acknowledgements", 30, "worker")
    assert message is not None

    assert queues.release("acknowledgements", message.id, message.pop_token, 0)

    again = queues.receive("acknowledgements", 30, "worker")
    assert again is not None and again.body == "retry me"


def test_poison_is_counted_and_replayed_with_its_body(queues: AzureQueues) -> None:
    """move_to_poison parks the body; move_poison puts it back."""
    queues.send("deliveries", "broken")
    message = queues.receive("deliveries", 30, "worker")
    assert message is not None

    assert queues.move_to_poison("deliveries", message.id, message.pop_token, "why")
    assert queues.poison_counts() == {"deliveries": 1}
    assert [p.body for p in queues.poison_messages("deliveries")] == ["broken"]

    assert queues.move_poison("deliveries") == 1
    assert queues.poison_counts() == {}
    assert queues.depth("deliveries") == 1


def test_pending_counts_every_queue_but_the_poison_ones(queues: AzureQueues) -> None:
    """Poison messages are not work in progress."""
    queues.send("mail-changes", "a")
    queues.send("deliveries", "b")
    queues.send("deliveries-poison", "c")

    assert queues.pending() == 2
    assert queues.release_owner_leases("anyone") == 0


def test_names_and_sizes_azure_refuses_are_refused_first(queues: AzureQueues) -> None:
    """A bad queue name or a message over 64 KB once encoded is permanent."""
    with pytest.raises(PermanentError, match="queue name"):
        queues.send("Mail_Changes", "x")
    with pytest.raises(PermanentError, match="64 KB"):
        queues.send("deliveries", "x" * 50_000)
