"""The Jira tracker sends what Jira's REST reference asks for, once."""

from __future__ import annotations

import logging

import pytest

from mailroom.errors import PermanentError, RetryableError
from mailroom.models import CommentDraft
from tests.adapters.trackers.contract import REQUESTER, attachment, draft
from tests.adapters.trackers.fake_jira import FakeJira, JiraProbe, connect
from tests.adapters.trackers.runners import event_recorded_twice, logged_text


def test_cloud_searches_with_search_jql_and_data_center_with_search() -> None:
    """Cloud removed GET /rest/api/3/search; Data Center still has /2/search."""
    for deployment, path in [
        ("cloud", "/rest/api/3/search/jql"),
        ("datacenter", "/rest/api/2/search"),
    ]:
        jira = FakeJira(deployment)
        assert connect(jira).find_by_correlation("m-1") is None
        assert jira.requests[-1].url.path == path
        assert 'labels = "mailroom-m-1"' in jira.requests[-1].url.params["jql"]


def test_the_correlation_id_is_a_label_and_an_issue_property() -> None:
    """Both deployments carry the label and the `mailroom` property."""
    for deployment in ("cloud", "datacenter"):
        jira = FakeJira(deployment)
        key = connect(jira).create_ticket(draft("m-5")).key
        assert jira.issues[key]["fields"]["labels"] == ["mailroom-m-5"]
        assert jira.issues[key]["properties"] == {"mailroom": {"correlation_id": "m-5"}}


def test_uploads_carry_the_xsrf_header_and_the_file_part() -> None:
    """Jira blocks multipart posts without X-Atlassian-Token: no-check."""
    jira = FakeJira()
    tracker = connect(jira)
    key = tracker.create_ticket(draft()).key
    tracker.attach(key, attachment("../../etc/scan.log", b"log"), b"log")
    upload = jira.requests[-1]
    assert upload.headers["X-Atlassian-Token"] == "no-check"
    assert b'name="file"; filename="scan.log"' in upload.content
    assert JiraProbe(jira, {}).files(key) == [("scan.log", b"log")]


def test_a_file_of_the_same_name_and_size_is_not_attached_again() -> None:
    """Jira cannot tell contents apart cheaply; name and size decide."""
    jira = FakeJira("datacenter")
    tracker = connect(jira)
    key = tracker.create_ticket(draft()).key
    tracker.attach(key, attachment("a.txt", b"one"), b"one")
    tracker.attach(key, attachment("a.txt", b"two"), b"two")
    tracker.attach(key, attachment("a.txt", b"three"), b"three")
    assert JiraProbe(jira, {}).files(key) == [("a.txt", b"one"), ("a.txt", b"three")]


def test_bytes_that_do_not_match_their_hash_are_refused() -> None:
    """A mix-up of files is stopped before anything reaches Jira."""
    tracker = connect(FakeJira())
    key = tracker.create_ticket(draft()).key
    with pytest.raises(PermanentError, match="do not match its sha256"):
        tracker.attach(key, attachment("a.txt", b"one"), b"other")


def test_a_link_is_made_once_with_the_relates_type() -> None:
    """Linking again finds the existing link and adds nothing."""
    jira = FakeJira()
    tracker = connect(jira)
    first, second = (tracker.create_ticket(draft(f"m-{n}")).key for n in (1, 2))
    tracker.link(second, first, "follows-up")
    tracker.link(second, first, "follows-up")
    assert jira.issues[second]["links"] == [("Relates", "inwardIssue", first)]


def test_events_are_internal_comments_recorded_once() -> None:
    """record_event adds a role-restricted note, and a replay adds nothing."""
    jira = FakeJira()
    (note,) = event_recorded_twice(connect(jira), JiraProbe(jira, {}))
    assert note[1] is False and "Mailroom recorded acknowledgement-sent" in note[0]


def test_an_outgoing_comment_says_it_was_sent_from_the_mailbox() -> None:
    """Mail an agent sent from Outlook lands as 'sent', not 'wrote'."""
    jira = FakeJira()
    tracker = connect(jira)
    key = tracker.create_ticket(draft()).key
    sent = CommentDraft(
        correlation_id="m-8", body="On it.", author=REQUESTER, outgoing=True
    )
    tracker.add_comment(key, sent)
    assert JiraProbe(jira, {}).comments(key)[0][0].startswith("Ada Lindqvist <")


def test_no_subject_body_address_or_secret_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Log lines carry ids and outcomes, never the mail or the token."""
    caplog.set_level(logging.DEBUG)
    jira = FakeJira()
    jira.fail_next(1)
    tracker = connect(jira)
    with pytest.raises(RetryableError, match="answered 503"):
        tracker.create_ticket(draft(severity="Urgent"))
    key = tracker.create_ticket(draft(severity="Urgent")).key
    tracker.add_comment(key, CommentDraft(correlation_id="c", body="Rebooted it."))
    logged = logged_text(caplog)
    for secret in ("Scanner", "room 12", "Rebooted", "ada.lindqvist", "Urgent"):
        assert secret not in logged
    assert "token-cloud" not in logged and "jira.issue_created" in logged
