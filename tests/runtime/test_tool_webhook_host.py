"""A long signed Jira comment over the local host: 202, queued, never a 500."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime import wiring
from runtime.local_host import LocalHost
from runtime.session import start_host
from tests.adapters.trackers.fake_jira import section, sign
from tests.adapters.trackers.test_jira_webhooks import adf, commented
from tests.pipeline import pipeline_config

pytestmark = pytest.mark.slow


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Return the host's data folder."""
    return tmp_path / "data"


@pytest.fixture
def jira_host(data: Path) -> Iterator[LocalHost]:
    """Yield a local host that takes Jira webhooks as the tool "jira"."""
    base = pipeline_config()
    runtime = base.runtime.model_copy(update={"data_dir": str(data)})
    trackers = dict(base.trackers) | {"jira": section()}
    running = start_host(
        base.model_copy(update={"runtime": runtime, "trackers": trackers}), port=0
    )
    yield running
    running.stop()
    wiring.configure(base)


def test_a_long_cjk_comment_is_accepted_and_its_body_kept(
    jira_host: LocalHost, data: Path
) -> None:
    """25,000 CJK characters: 202, one tool event queued, its body in a blob."""
    payload = commented(adf("日" * 25_000)) | {"timestamp": int(time.time() * 1000)}
    body = json.dumps(payload).encode()
    response = httpx.post(
        f"{jira_host.url}/api/tool-events/jira",
        content=body,
        headers=sign(body),
        timeout=10,
    )
    assert response.status_code == 202
    blobs = list((data / "blobs" / "tool-events").rglob("*.txt"))
    assert [b.read_text() for b in blobs] == ["日" * 25_000]
