"""End-to-end mails per second through the real local host.

Each run starts the host over a fresh data folder, lets its timers create
the subscriptions, then delivers mails to the local mailbox: the mailbox
posts a notification, and ingest, deliver and acknowledge run on the host's
queues until every queue is empty. The samples run twice, one mail at a
time (each waits for the previous to finish, as expected.json assumes) and
all at once; the corpus runs all at once. The baseline is parse_mail alone
over the same mails.

    python bench/pipeline.py [--samples-only]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchlib import (
    HELPDESK,
    corpus_files,
    median_seconds,
    print_header,
    print_table,
    rate,
    running_host,
    sample_files,
    say_corpus_absent,
    wait_drained,
)

from adapters.mail.local import LocalMailbox
from handlers.ledger import Ledger
from mailroom.mime import parse_mail
from runtime import wiring
from runtime.local_host import LocalHost

PARSE_REPEATS = 5
COLUMNS = (
    "set",
    "delivery",
    "mails",
    "seconds",
    "mails/s",
    "tickets",
    "comments+notes",
    "skips",
    "acks sent",
    "unrecorded",
    "poison",
    "parse-only mails/s",
    "ratio",
)


@dataclass
class Outcome:
    """What a run left in the ledger, the tracker and the sent folder."""

    tickets: int
    comments: int
    skips: int
    acks: int
    unrecorded: int
    poison: int


@dataclass
class Run:
    """One end-to-end run and its parse-only baseline."""

    name: str
    delivery: str
    mails: int
    seconds: float
    outcome: Outcome
    parse_seconds: float


def deliver_all(host: LocalHost, mailbox: LocalMailbox, raws: list[bytes]) -> list[str]:
    """Deliver every mail at once, then wait until the queues are empty."""
    items = [mailbox.deliver(HELPDESK, raw) for raw in raws]
    wait_drained(host)
    return items


def deliver_each(
    host: LocalHost, mailbox: LocalMailbox, raws: list[bytes]
) -> list[str]:
    """Deliver each mail once the previous one has been fully processed."""
    items = []
    for raw in raws:
        items.append(mailbox.deliver(HELPDESK, raw))
        wait_drained(host)
    return items


Deliver = Callable[[LocalHost, LocalMailbox, list[bytes]], list[str]]


def count_outcomes(host: LocalHost, mailbox: LocalMailbox, items: list[str]) -> Outcome:
    """Count tickets, comments, skips and acknowledgements of a run."""
    services = wiring.services()
    ledger = Ledger(services.store)
    keys = [ledger.item(HELPDESK, item) for item in items]
    records = [ledger.mail(key) for key in keys if key is not None]
    statuses = Counter(record.status for record in records if record is not None)

    views = services.trackers["local"].list_tickets()  # type: ignore[attr-defined]
    return Outcome(
        tickets=len(views),
        comments=sum(len(view.comments) for view in views),
        skips=statuses["skipped"],
        acks=len(mailbox.items(HELPDESK, "SentItems")),
        unrecorded=len(items) - sum(statuses.values()),
        poison=sum(host.queues.poison_counts().values()),
    )


def run_pipeline(name: str, files: list[Path], one_at_a_time: bool) -> Run:
    """Time one set of mails through a fresh host, and parse-only."""
    raws = [path.read_bytes() for path in files]
    deliver = deliver_each if one_at_a_time else deliver_all
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-") as folder:
        seconds, outcome = time_delivery(Path(folder), raws, deliver)

    parse_seconds = median_seconds(lambda: [parse_mail(r) for r in raws], PARSE_REPEATS)
    delivery = "one at a time" if one_at_a_time else "all at once"
    return Run(name, delivery, len(raws), seconds, outcome, parse_seconds)


def time_delivery(
    folder: Path, raws: list[bytes], deliver: Deliver
) -> tuple[float, Outcome]:
    """Deliver the mails to a host over `folder`; return seconds and outcome."""
    with running_host(folder / "data", subscribe=True) as host:
        mailbox = wiring.local_mailbox(wiring.settings())
        start = time.perf_counter()
        items = deliver(host, mailbox, raws)
        seconds = time.perf_counter() - start

        outcome = count_outcomes(host, mailbox, items)
        mailbox.close()
    return seconds, outcome


def table_row(run: Run) -> tuple[object, ...]:
    """Return a run's line of the table."""
    end_to_end = rate(run.mails, run.seconds)
    parse_only = rate(run.mails, run.parse_seconds)
    found = run.outcome
    return (
        run.name,
        run.delivery,
        run.mails,
        run.seconds,
        end_to_end,
        found.tickets,
        found.comments,
        found.skips,
        found.acks,
        found.unrecorded,
        found.poison,
        parse_only,
        end_to_end / parse_only if parse_only else 0.0,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the samples (and the corpus, when present); print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples-only", action="store_true")
    options = parser.parse_args(argv)
    print_header("pipeline")

    samples = sample_files()
    runs = [
        run_pipeline("samples", samples, one_at_a_time=True),
        run_pipeline("samples", samples, one_at_a_time=False),
    ]
    corpus = None if options.samples_only else corpus_files()
    if corpus is not None:
        runs.append(run_pipeline("corpus", corpus, one_at_a_time=False))
    elif not options.samples_only:
        say_corpus_absent()

    print_table(
        "deliver -> notify -> ingest -> deliver -> acknowledge, until idle "
        "(ratio = end-to-end mails/s over parse-only mails/s)",
        COLUMNS,
        [table_row(run) for run in runs],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
