"""`demo --timeout` bounds the whole run, the waits between mails included.

A tool that kept failing once made `demo --once --timeout 15` run for more
than ten minutes: each mail was delivered after waiting up to 120 s for
the one before it.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from runtime import wiring
from runtime.demo import deliver_files
from runtime.session import SAMPLES
from tests.runtime.config_files import config_file


class NeverIdle:
    """A host whose queues never empty: each wait lasts as long as asked."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait_idle(self, timeout: float, settle: float = 0.3) -> bool:
        """Record the wait asked for, spend it, and report a time-out."""
        self.waits.append(timeout)
        time.sleep(timeout)
        return False


def test_mail_after_the_deadline_is_delivered_without_waiting(tmp_path: Path) -> None:
    """The first wait takes what is left; the other mails go at once."""
    config = wiring.load_config(config_file(tmp_path))
    files = sorted(SAMPLES.glob("*.eml"))[:4]
    host = NeverIdle()
    deadline = time.monotonic() + 0.3

    ids = deliver_files(
        files, "helpdesk@example.org", config, Console(), host, deadline
    )  # type: ignore[arg-type]

    assert len(ids) == 4
    assert len(host.waits) == 1 and 0 < host.waits[0] <= 0.3
    mailbox = wiring.local_mailbox(config)
    assert len(mailbox.items("helpdesk@example.org", "Inbox")) == 4
