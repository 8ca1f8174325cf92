"""Files shared as cloud links reach the ticket once, through the pipeline."""

from __future__ import annotations

from pathlib import Path

from tests.domain.cloud_link_samples import (
    FORECAST_URL,
    reply_quoting_forecast,
    shared_forecast,
)
from tests.pipeline import Pipeline

LOG_URL = "https://www.dropbox.com/scl/fi/q8w2e/app.log?rlkey=k3j&dl=0"


def test_a_shared_file_is_listed_on_the_ticket_and_not_again(tmp_path: Path) -> None:
    """The ticket lists the OneDrive file; the reply quoting it does not."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(shared_forecast())
    pipeline.deliver(reply_quoting_forecast())

    [ticket] = pipeline.tracker.tickets.values()
    assert FORECAST_URL in ticket.draft.description
    assert not ticket.files
    [comment] = ticket.comments
    assert "Linked files" not in comment.body


def test_a_file_shared_in_a_reply_is_listed_in_its_comment(tmp_path: Path) -> None:
    """A reply's newly shared file is listed in that reply's comment."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(shared_forecast())
    pipeline.deliver(reply_quoting_forecast((LOG_URL, "app.log")))

    [ticket] = pipeline.tracker.tickets.values()
    [comment] = ticket.comments
    assert f"- app.log (Dropbox): {LOG_URL}" in comment.body
    assert FORECAST_URL not in comment.body
