"""Feed mail to the local mailbox and summarize what Mailroom made of it."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from handlers.ledger import Ledger
from handlers.services import Services
from mailroom.config import Config
from runtime import wiring
from runtime.local_host import LocalHost


def deliver_files(
    files: list[Path],
    address: str,
    config: Config,
    console: Console,
    host: LocalHost | None,
    deadline: float | None = None,
) -> list[str]:
    """Deliver each file to `address`, in order; return the new item ids.

    With a host running here, each mail is delivered once the previous one
    has gone through, as a person's replies follow the tickets they answer;
    past `deadline` (a time.monotonic() value), the rest go without waiting.
    """
    if deadline is None:
        deadline = time.monotonic() + 120.0
    mailbox = wiring.local_mailbox(config)
    item_ids: list[str] = []
    # A progress bar on a pipe or a file leaves only a blank line behind.
    shown = console.is_terminal
    with Progress(console=console, transient=True, disable=not shown) as progress:
        task = progress.add_task("delivering mail", total=len(files))
        for path in files:
            item_ids.append(mailbox.deliver(address, path.read_bytes()))
            left = deadline - time.monotonic()
            if host is not None and left > 0:
                host.wait_idle(left, settle=0.05)
            progress.advance(task)
    console.print(f"delivered {len(files)} mail(s) to the local mailbox")
    return item_ids


def print_summary(services: Services, host: LocalHost, console: Console) -> None:
    """Print the outcome of every mail and the tickets with their URLs."""
    records = Ledger(services.store).mails()
    counts = Counter(record.status for record in records)
    quarantined = sum(1 for _ in services.store.scan("quarantine"))
    console.print(
        f"mails: {len(records)}  routed: {counts['routed']}  "
        f"skipped: {counts['skipped']}  quarantined messages: {quarantined}"
    )

    table = Table(title="Tickets")
    for column in ("tool", "key", "url", "opened by"):
        table.add_column(column, overflow="fold")
    ledger = Ledger(services.store)
    for record in sorted(records, key=lambda r: r.recorded_at):
        for request in record.deliveries:
            done = ledger.delivery(record.key, request.tool)
            if done is not None and done.ticket is not None:
                ticket = done.ticket
                table.add_row(ticket.tool, ticket.key, ticket.url, record.kind)
    console.print(table)

    skipped = [record for record in records if record.status == "skipped"]
    for record in skipped:
        console.print(f"skipped {record.kind}: {record.reason}")
    poison = {name: n for name, n in host.queues.poison_counts().items() if n}
    if poison:
        console.print(f"poison queues: {poison}", style="red")
