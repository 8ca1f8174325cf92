"""Every corpus message through explain and the pipeline: an outcome each."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from handlers.ingest import mail_key
from mailroom.mime import parse_mail
from runtime.explain import explain_mail
from tests.cases import corpus_dir
from tests.pipeline import HELPDESK, Pipeline, pipeline_config

pytestmark = pytest.mark.corpus


def corpus_files() -> list[Path]:
    """Return the corpus messages listed in expected.jsonl."""
    folder = corpus_dir()
    lines = (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()
    return [folder / json.loads(line)["file"] for line in lines if line.strip()]


def test_explain_gives_every_message_an_outcome_and_reasons() -> None:
    """explain never crashes and always names a classification reason."""
    config = pipeline_config()
    outcomes = Counter()
    for path in corpus_files():
        report = explain_mail(path.read_bytes(), config, HELPDESK)
        assert report["classification"]["reason"], path.name
        assert report["thread"]["reason"], path.name
        outcomes[report["outcome"]] += 1
    print("explain outcomes:", dict(outcomes))
    assert sum(outcomes.values()) == len(corpus_files())
    assert set(outcomes) <= {"ticket", "comment", "skip"}


def test_the_pipeline_ends_every_message_as_ticket_comment_or_skip(
    tmp_path: Path,
) -> None:
    """No message is lost or quarantined; each has a recorded outcome."""
    pipeline = Pipeline(tmp_path)
    files = corpus_files()
    for path in files:
        pipeline.deliver(path.read_bytes())

    assert pipeline.poison == []
    records = {record.key: record for record in pipeline.ledger.mails()}
    for path in files:
        raw = path.read_bytes()
        key = mail_key(HELPDESK, parse_mail(raw).mail, None, raw, pipeline.config)
        record = records[key]
        assert record.status in ("routed", "skipped"), path.name
        assert record.reason, path.name
        if record.status == "routed":
            assert all(
                pipeline.ledger.delivery(key, d.tool) for d in record.deliveries
            ), path.name
    print("statuses:", Counter(r.status for r in records.values()))
    print("kinds:", Counter(r.kind for r in records.values()))
