"""Only watched mailboxes, through Mailroom's own subscriptions, are read."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from handlers.ingest import handle_change
from mailroom.messages import MailChange
from runtime.session import SAMPLES
from tests.pipeline import HELPDESK, Pipeline

MAIL = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
OUTSIDER = "director@example.org"


def known_subscription(pipeline: Pipeline) -> str:
    """Return the id of a subscription Mailroom made on the helpdesk."""
    ids = [key for key, _ in pipeline.services.store.scan("subscriptions")]
    assert ids
    return ids[0]


def test_a_notification_for_an_unknown_subscription_reads_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A forged subscription id naming another mailbox: no fetch, no ticket."""
    pipeline = Pipeline(tmp_path)
    item_id = pipeline.mailbox.deliver(OUTSIDER, MAIL)
    pipeline.queues["mail-changes"].clear()
    change = MailChange(
        subscription_id="00000000-1111-2222-3333-444444444444",
        mailbox=OUTSIDER,
        item_id=item_id,
    )

    with caplog.at_level(logging.INFO):
        assert handle_change(change, pipeline.services) == []

    assert pipeline.tracker.tickets == {}
    assert pipeline.ledger.mails() == []
    outcomes = [getattr(r, "outcome", None) for r in caplog.records]
    assert "not-ours" in outcomes


def test_a_known_subscription_reads_only_its_own_mailbox(tmp_path: Path) -> None:
    """The resource's mailbox is ignored: the subscription's one is read."""
    pipeline = Pipeline(tmp_path)
    item_id = pipeline.mailbox.deliver(OUTSIDER, MAIL)
    pipeline.queues["mail-changes"].clear()
    change = MailChange(
        subscription_id=known_subscription(pipeline),
        mailbox=OUTSIDER,
        item_id=item_id,
    )

    assert handle_change(change, pipeline.services) == []

    assert pipeline.tracker.tickets == {}
    assert pipeline.sent() == []


def test_a_change_for_an_unwatched_mailbox_is_not_ours(tmp_path: Path) -> None:
    """A catch-up change naming a mailbox outside the configuration is dropped."""
    pipeline = Pipeline(tmp_path)
    item_id = pipeline.mailbox.deliver(OUTSIDER, MAIL)
    pipeline.queues["mail-changes"].clear()
    change = MailChange(mailbox=OUTSIDER, item_id=item_id, source="catch-up")

    assert handle_change(change, pipeline.services) == []
    assert pipeline.ledger.mails() == []


def test_mail_to_the_watched_mailbox_still_becomes_a_ticket(tmp_path: Path) -> None:
    """The ownership check leaves Mailroom's own notifications alone."""
    pipeline = Pipeline(tmp_path)

    pipeline.deliver(MAIL, to=HELPDESK.upper())

    assert len(pipeline.tracker.tickets) == 1
