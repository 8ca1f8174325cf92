"""The same mail in two watched mailboxes: one ticket, or one per mailbox."""

from __future__ import annotations

from pathlib import Path

from mailroom.config import MailboxConfig
from runtime.session import SAMPLES
from tests.pipeline import Pipeline, pipeline_config

MAIL = (SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes()
BOXES = [
    MailboxConfig(address="helpdesk@example.org"),
    MailboxConfig(address="it@example.org"),
]


def pipeline(tmp_path: Path, duplicates: str) -> Pipeline:
    """Return a pipeline watching two mailboxes under a duplicates policy."""
    base = pipeline_config(mailboxes=BOXES)
    mail = base.mail.model_copy(update={"duplicates": duplicates})
    return Pipeline(tmp_path, base.model_copy(update={"mail": mail}))


def test_one_ticket_when_a_mail_reaches_two_mailboxes(tmp_path: Path) -> None:
    """By default the second copy is the same mail: no ticket, no reply."""
    both = pipeline(tmp_path, "one_ticket")
    both.deliver(MAIL, to="helpdesk@example.org")
    both.deliver(MAIL, to="it@example.org")
    assert len(both.tracker.tickets) == 1
    assert len(both.sent()) == 1


def test_one_ticket_per_mailbox_when_configured(tmp_path: Path) -> None:
    """With `per_mailbox` each mailbox's copy opens its own ticket."""
    both = pipeline(tmp_path, "per_mailbox")
    both.deliver(MAIL, to="helpdesk@example.org")
    both.deliver(MAIL, to="it@example.org")
    assert len(both.tracker.tickets) == 2


def test_an_empty_file_is_a_recorded_skip_not_a_ticket(tmp_path: Path) -> None:
    """Delivered twice, an empty file opens nothing and sends nothing."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(b"")
    pipeline.deliver(b"")
    assert pipeline.tracker.tickets == {}
    assert pipeline.sent() == []
    reasons = {r.reason for r in pipeline.ledger.mails()}
    assert reasons == {"the message is empty"}
