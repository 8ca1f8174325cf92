"""Lifecycle events, renewal, catch-up and throttling, end to end over Graph."""

from __future__ import annotations

from datetime import timedelta

from handlers.subscriptions import run_catch_up
from tests.adapters.mail.conftest import mime
from tests.adapters.mail.fake_graph import Throttle
from tests.adapters.mail.graph_pipeline import HELPDESK, GraphPipeline


def inbox_subscription(pipeline: GraphPipeline) -> str:
    """Return the id of the fake Graph's subscription on the Inbox."""
    [sub] = [s for s in pipeline.graph.subscriptions.values() if s.folder == "Inbox"]
    return sub.id


def lose_while(pipeline: GraphPipeline, count: int) -> None:
    """Deliver mail to the Inbox while Graph's notifications get lost."""
    pipeline.graph.notifications_lost = True
    for number in range(count):
        pipeline.graph.deliver(HELPDESK, mime(message_id=f"<lost{number}@example.com>"))
    pipeline.graph.notifications_lost = False


def test_reauthorization_required_renews_in_place(pipeline: GraphPipeline) -> None:
    """reauthorizationRequired is a PATCH of the same subscription, no new one."""
    sub_id = inbox_subscription(pipeline)
    pipeline.graph.lifecycle(sub_id, "reauthorizationRequired")
    pipeline.drain()

    assert pipeline.graph.paths("PATCH") == [f"v1.0/subscriptions/{sub_id}"]
    assert inbox_subscription(pipeline) == sub_id


def test_subscription_removed_recreates_and_recovers_mail(
    pipeline: GraphPipeline,
) -> None:
    """After subscriptionRemoved, a new subscription and a catch-up of the gap."""
    old = inbox_subscription(pipeline)
    pipeline.graph.lifecycle(old, "subscriptionRemoved")
    lose_while(pipeline, 1)

    pipeline.drain()

    assert inbox_subscription(pipeline) != old
    assert len(pipeline.tracker.tickets) == 1 and len(pipeline.sent()) == 1


def test_missed_catches_up_on_the_folder(pipeline: GraphPipeline) -> None:
    """A missed event runs the delta query that finds the lost mail."""
    lose_while(pipeline, 2)
    pipeline.graph.lifecycle(inbox_subscription(pipeline), "missed")
    pipeline.drain()

    assert len(pipeline.tracker.tickets) == 2


def test_renewal_keeps_the_subscription_past_its_first_expiry(
    pipeline: GraphPipeline,
) -> None:
    """Renewed from the expiry Graph returned, it still notifies after it."""
    sub_id = inbox_subscription(pipeline)
    first = pipeline.graph.subscriptions[sub_id].expires
    pipeline.clock.moment = first - timedelta(hours=1)

    pipeline.subscribe()
    pipeline.clock.moment = first + timedelta(hours=1)
    pipeline.deliver(mime())

    assert pipeline.graph.subscriptions[sub_id].expires > pipeline.clock.now()
    assert len(pipeline.tracker.tickets) == 1


def test_an_expired_subscription_is_recreated_and_the_gap_caught_up(
    pipeline: GraphPipeline,
) -> None:
    """A renewal run after expiry makes a new subscription and finds the gap's mail."""
    first = pipeline.graph.subscriptions[inbox_subscription(pipeline)].expires
    pipeline.clock.moment = first + timedelta(minutes=5)
    pipeline.graph.deliver(HELPDESK, mime())

    pipeline.subscribe()

    assert len(pipeline.graph.subscriptions) == 2
    assert len(pipeline.tracker.tickets) == 1


def test_catch_up_recovers_lost_mail_and_never_doubles(pipeline: GraphPipeline) -> None:
    """The catch-up timer finds mail whose notifications were lost, once."""
    lose_while(pipeline, 3)

    for _ in range(2):
        pipeline.queues["mail-changes"] += [
            change.model_dump_json() for change in run_catch_up(pipeline.services)
        ]
        pipeline.drain()

    assert len(pipeline.tracker.tickets) == 3 and len(pipeline.sent()) == 3


def test_an_expired_delta_link_resyncs_without_doubling(
    pipeline: GraphPipeline,
) -> None:
    """After a 410, the window resync finds the lost mail; dedupe holds."""
    pipeline.deliver(mime(message_id="<seen@example.com>"))
    lose_while(pipeline, 1)
    pipeline.graph.store.epoch += 1

    pipeline.queues["mail-changes"] += [
        change.model_dump_json() for change in run_catch_up(pipeline.services)
    ]
    pipeline.drain()

    assert len(pipeline.tracker.tickets) == 2 and len(pipeline.sent()) == 2


def test_a_429_storm_loses_and_doubles_nothing(pipeline: GraphPipeline) -> None:
    """Three minutes of 429 with Retry-After: every mail one ticket, one ack."""
    pipeline.graph.throttle = Throttle(
        until=pipeline.clock.now() + timedelta(minutes=3)
    )
    for number in range(4):
        pipeline.graph.deliver(
            HELPDESK, mime(message_id=f"<storm{number}@example.com>")
        )

    pipeline.drain()

    # The queue waits as long as Graph asked, once, instead of polling it.
    assert pipeline.graph.throttle.answered == 1 and pipeline.retries == 1
    assert len(pipeline.tracker.tickets) == 4 and len(pipeline.sent()) == 4
    assert pipeline.poison == [] and pipeline.waits == [180.0]
