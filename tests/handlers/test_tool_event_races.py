"""Copies of one tool event at the same moment mail once, and none is lost."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from handlers.tool_events import handle_tool_event
from mailroom.errors import RetryableError
from mailroom.models import OutgoingMail
from mailroom.ports import KeyValueStore, MailGateway
from mailroom.tool_events import ToolEvent
from tests.handlers.test_tool_events import comment, pipeline


class LookTogether:
    """A store whose first `parties` looks for a handled event meet first.

    Every copy then has seen "not handled yet" before any of them acts,
    the widest window a check-then-act can leave open.
    """

    def __init__(self, store: KeyValueStore, parties: int) -> None:
        self.store = store
        self.barrier = threading.Barrier(parties, timeout=10)
        self.looks = 0
        self.lock = threading.Lock()

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return the record, after the others' first look if this is one."""
        record = self.store.get(table, key)
        with self.lock:
            self.looks += table == "tool-events"
            first_looks = table == "tool-events" and self.looks <= self.barrier.parties
        if first_looks:
            self.barrier.wait()
        return record

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


class CountingMail:
    """A mail gateway that counts sends, and can fail the first one."""

    def __init__(self, mail: MailGateway, on_first_send: Any = None) -> None:
        self.mail = mail
        self.on_first_send = on_first_send
        self.sent: list[str] = []

    def send(self, mailbox: str, mail: OutgoingMail) -> str:
        """Count the send; run `on_first_send` instead of the first one."""
        if self.on_first_send is not None:
            fail, self.on_first_send = self.on_first_send, None
            fail()
        self.sent.append(mail.message_id)
        return self.mail.send(mailbox, mail)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.mail, name)


def attempt(event: ToolEvent, services: Any) -> str:
    """Handle `event`; return "done" or the retryable failure's name."""
    try:
        handle_tool_event(event, services)
    except RetryableError:
        return "retry"
    return "done"


def test_three_copies_at_once_mail_once_and_the_others_retry(
    tmp_path: Path,
) -> None:
    """All three pass the "seen?" look together; one mails, two go back."""
    p = pipeline(tmp_path)
    mail = CountingMail(p.services.mail)
    store = LookTogether(p.services.store, parties=3)
    services = dataclasses.replace(p.services, store=store, mail=mail)

    with ThreadPoolExecutor(3) as pool:
        outcomes = list(pool.map(lambda _: attempt(comment(), services), range(3)))

    assert sorted(outcomes) == ["done", "retry", "retry"]
    assert attempt(comment(), services) == "done"
    assert len(mail.sent) == 1


def test_a_copy_sent_back_while_the_first_fails_mails_on_its_retry(
    tmp_path: Path,
) -> None:
    """The holder fails after the second copy was refused: the retry mails."""
    p = pipeline(tmp_path)
    refused: list[str] = []

    def second_copy_then_fail() -> None:
        refused.append(attempt(comment(), services))
        raise RetryableError("the mail system is busy")

    mail = CountingMail(p.services.mail, second_copy_then_fail)
    services = dataclasses.replace(p.services, mail=mail)

    with pytest.raises(RetryableError, match="busy"):
        handle_tool_event(comment(), services)
    assert refused == ["retry"]
    assert mail.sent == []

    assert attempt(comment(), services) == "done"
    assert len(mail.sent) == 1
