"""Classification and threading of the shared cases 02, 03, 05 and 06."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mailroom.classify import classify
from mailroom.config import ThreadingConfig
from mailroom.models import ThreadDecision
from mailroom.threads import (
    ThreadContext,
    ThreadRecord,
    decide_thread,
    thread_candidates,
)
from tests.domain.mailfactory import CASES, read_case_mail

pytestmark = pytest.mark.skipif(
    not CASES.is_dir(), reason=f"shared cases not found at {CASES}"
)

HELPDESK = "helpdesk@example.org"
OWN_DOMAIN = "helpdesk.example.org"


def _expected(case: str) -> dict[str, Any]:
    """Load a case's expected.json."""
    data: dict[str, Any] = json.loads((CASES / case / "expected.json").read_text())
    return data


def _state(case: str) -> tuple[dict[str, ThreadRecord], dict[str, ThreadRecord]]:
    """Turn the case's existing tickets into state: by message id and by key."""
    by_id: dict[str, ThreadRecord] = {}
    by_key: dict[str, ThreadRecord] = {}
    for ticket in _expected(case)["given"]["existing_tickets"]:
        record = ThreadRecord(
            tickets={"tracker": ticket["key"]}, subject=ticket.get("summary", "")
        )
        by_key[ticket["key"]] = record
        for name in ("created_from_message_id", "ack_message_id"):
            if name in ticket:
                by_id[ticket[name]] = record
    return by_id, by_key


def _decide(case: str, name: str) -> tuple[str, ThreadDecision, bool]:
    """Classify and thread one case mail as the handler would."""
    mail = read_case_mail(case, name)
    by_id, by_key = _state(case)
    lookup = thread_candidates(mail, ["HELP"])
    context = ThreadContext(
        by_message_id={i: by_id[i] for i in lookup.all_ids() if i in by_id},
        by_key={k: by_key[k] for k in lookup.keys if k in by_key},
    )
    kind = classify(mail, HELPDESK, [HELPDESK], "X-Mailroom-Id", OWN_DOMAIN)
    decision = decide_thread(mail, kind, context, ThreadingConfig())
    return kind.kind, decision, kind.acknowledge


LOCALIZED = "02-localized-reply-prefixes"


@pytest.mark.parametrize(
    "name",
    [
        "reply-fi-vs.eml",
        "reply-de-aw-aw.eml",
        "reply-sv.eml",
        "reply-zh.eml",
        "reply-es-re-nospace.eml",
    ],
)
def test_localized_reply_comments_on_help_42(name: str) -> None:
    """A reply with a localized prefix and the key comments on HELP-42."""
    kind, decision, _ = _decide(LOCALIZED, name)

    assert kind == "reply"
    assert decision.action == "comment"
    assert decision.tickets == {"tracker": "HELP-42"}
    assert decision.signal == "ticket-key"


def test_german_forward_opens_a_new_ticket() -> None:
    """A WG: forward of an unknown mail becomes a new, acknowledged ticket."""
    kind, decision, acknowledge = _decide(LOCALIZED, "new-de-wg.eml")

    assert (kind, decision.action, acknowledge) == ("forward", "new", True)


HEADERS = "03-reply-threading-by-headers"


@pytest.mark.parametrize(
    ("name", "signal"),
    [
        ("reply-in-reply-to-original.eml", "in-reply-to"),
        ("reply-references-ack-only.eml", "references"),
    ],
)
def test_header_linked_reply_comments_on_help_57(name: str, signal: str) -> None:
    """A reply linked only by its headers comments on HELP-57."""
    _, decision, _ = _decide(HEADERS, name)

    assert decision.action == "comment"
    assert decision.tickets == {"tracker": "HELP-57"}
    assert decision.signal == signal


def test_same_subject_without_link_is_new() -> None:
    """A mail with the same subject but no header link opens a new ticket."""
    kind, decision, acknowledge = _decide(HEADERS, "unrelated-same-subject.eml")

    assert (kind, decision.action, acknowledge) == ("reply", "new", True)


AUTO = "05-auto-reply-loop"


def test_out_of_office_is_noted_on_help_61() -> None:
    """An RFC 3834 out-of-office reply is skipped, pointing at HELP-61."""
    kind, decision, acknowledge = _decide(AUTO, "ooo-rfc3834.eml")

    assert (kind, decision.action, acknowledge) == ("auto_reply", "skip", False)
    assert decision.tickets == {"tracker": "HELP-61"}


def test_no_reply_autoresponse_is_skipped() -> None:
    """A no-reply autoresponder is skipped and never acknowledged."""
    kind, decision, acknowledge = _decide(AUTO, "noreply-autoresponse.eml")

    assert (kind, decision.action, acknowledge) == ("auto_reply", "skip", False)
    assert decision.tickets == {}


def test_human_mail_about_auto_replies_is_new() -> None:
    """A person writing about auto-replies gets a ticket and a reply."""
    kind, decision, acknowledge = _decide(AUTO, "human-mentions-autoreply.eml")

    assert (kind, decision.action, acknowledge) == ("new", "new", True)


BOUNCE = "06-bounce-ndr-loop"


@pytest.mark.parametrize("name", ["dsn-unknown-user.eml", "plain-bounce-no-report.eml"])
def test_bounce_is_skipped_without_acknowledgement(name: str) -> None:
    """A bounce, with or without multipart/report, is skipped."""
    kind, decision, acknowledge = _decide(BOUNCE, name)

    assert (kind, decision.action, acknowledge) == ("bounce", "skip", False)


def test_plain_bounce_points_at_the_returned_ticket() -> None:
    """A plain bounce names HELP-64 through the Message-ID it quotes."""
    _, decision, _ = _decide(BOUNCE, "plain-bounce-no-report.eml")

    assert decision.tickets == {"tracker": "HELP-64"}
    assert decision.signal == "returned-message-id"
