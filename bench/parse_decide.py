"""Parse-and-decide throughput: the pure part of ingest, without any I/O.

For every mail: parse_mail, classify, decide_thread with an empty thread
context, choose_route and extract_fields, as ingest calls them. Each pass
over a mail set runs several times and the median counts. The baseline is
the standard library's email.message_from_bytes (policy=default) over the
same bytes. A second table splits one pass into its stages.

    python bench/parse_decide.py [--samples-only] [--repeats 5]
"""

from __future__ import annotations

import argparse
import email
import itertools
import sys
import time
from collections.abc import Callable
from email import policy
from functools import partial
from pathlib import Path

from benchlib import (
    HELPDESK,
    corpus_files,
    median_seconds,
    print_header,
    print_table,
    rate,
    sample_files,
    say_corpus_absent,
)

from mailroom.classify import classify
from mailroom.config import Config
from mailroom.fields import extract_fields
from mailroom.mime import parse_mail
from mailroom.models import Classification, NormalizedMail
from mailroom.routing import choose_route
from mailroom.threads import ThreadContext, decide_thread
from runtime.wiring import load_config

COLUMNS = ("set", "work", "mails", "runs", "median s", "mails/s", "ratio")
STAGE_COLUMNS = ("stage", "seconds", "ms/mail", "share")
STAGES = ("parse_mail", "classify", "decide_thread", "choose_route", "extract_fields")
Work = Callable[[list[bytes], Config], object]


def stdlib_parse(raws: list[bytes], config: Config) -> object:
    """Parse every mail with the standard library only (the baseline)."""
    return [email.message_from_bytes(raw, policy=policy.default) for raw in raws]


def parse_only(raws: list[bytes], config: Config) -> object:
    """Parse every mail with Mailroom's parser."""
    return [parse_mail(raw) for raw in raws]


def parse_and_decide(raws: list[bytes], config: Config) -> None:
    """Parse every mail and make each of ingest's pure decisions."""
    for raw in raws:
        mail = parse_mail(raw).mail
        kind = classify_mail(mail, config)
        decide_thread(mail, kind, ThreadContext(), config.threading)
        choose_route(mail, HELPDESK, config.routes)
        extract_fields(mail, config.fields)


def classify_mail(mail: NormalizedMail, config: Config) -> Classification:
    """Classify a mail as ingest does for the helpdesk mailbox."""
    watched = [box.address for box in config.mailboxes]
    marker = config.runtime.marker_header
    own_domain = config.runtime.message_id_domain
    return classify(mail, HELPDESK, watched, marker, own_domain)


WORKS: list[tuple[str, Work]] = [
    ("email.message_from_bytes (baseline)", stdlib_parse),
    ("parse_mail", parse_only),
    ("parse_mail + decide", parse_and_decide),
]


def measure_set(
    name: str, raws: list[bytes], config: Config, repeats: int
) -> list[tuple[object, ...]]:
    """Return the table rows of one mail set, baseline first."""
    rows: list[tuple[object, ...]] = []
    base = 0.0
    for label, work in WORKS:
        seconds = median_seconds(partial(work, raws, config), repeats)
        mails_per_second = rate(len(raws), seconds)
        base = base or mails_per_second
        ratio = mails_per_second / base if base else 0.0
        rows.append((name, label, len(raws), repeats, seconds, mails_per_second, ratio))
    return rows


def stage_seconds(raws: list[bytes], config: Config) -> list[float]:
    """Time each stage of one parse-and-decide pass, summed over the mails."""
    totals = [0.0] * len(STAGES)
    for raw in raws:
        for index, seconds in enumerate(time_stages(raw, config)):
            totals[index] += seconds
    return totals


def time_stages(raw: bytes, config: Config) -> list[float]:
    """Return how long each stage took for one mail."""
    marks = [time.perf_counter()]
    mail = parse_mail(raw).mail
    marks.append(time.perf_counter())
    kind = classify_mail(mail, config)
    marks.append(time.perf_counter())
    decide_thread(mail, kind, ThreadContext(), config.threading)
    marks.append(time.perf_counter())
    choose_route(mail, HELPDESK, config.routes)
    marks.append(time.perf_counter())
    extract_fields(mail, config.fields)
    marks.append(time.perf_counter())
    return [after - before for before, after in itertools.pairwise(marks)]


def stage_rows(raws: list[bytes], config: Config) -> list[tuple[object, ...]]:
    """Return the stage table: one pass, split by stage."""
    totals = stage_seconds(raws, config)
    whole = sum(totals)
    return [
        (stage, seconds, seconds * 1000 / len(raws), seconds / whole if whole else 0.0)
        for stage, seconds in zip(STAGES, totals, strict=True)
    ]


def mail_sets(samples_only: bool) -> list[tuple[str, list[Path]]]:
    """Return the named mail sets to measure; say so if the corpus is absent."""
    sets = [("samples", sample_files())]
    if samples_only:
        return sets
    corpus = corpus_files()
    if corpus is None:
        say_corpus_absent()
        return sets
    return [*sets, ("corpus", corpus), ("both", sets[0][1] + corpus)]


def main(argv: list[str] | None = None) -> int:
    """Measure every mail set; print the throughput and stage tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples-only", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args(argv)
    print_header("parse_decide")

    config = load_config()
    sets = [
        (name, [p.read_bytes() for p in files])
        for name, files in mail_sets(options.samples_only)
    ]
    rows = [
        row
        for name, raws in sets
        for row in measure_set(name, raws, config, options.repeats)
    ]
    print_table(
        f"throughput, median of {options.repeats} passes each "
        "(ratio = mails/s over the baseline's)",
        COLUMNS,
        rows,
    )
    name, raws = sets[-1]
    print_table(
        f"one parse_mail + decide pass over {name}, by stage",
        STAGE_COLUMNS,
        stage_rows(raws, config),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
