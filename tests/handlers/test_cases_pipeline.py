"""The shared cases 01, 02, 03, 05, 06, 09, 10 and 13, through the whole pipeline.

Each case's existing tickets are seeded into the fake tracker, its mails are
delivered to the local mailbox, and what the tracker holds and what the
helpdesk sent are compared with the case's expected.json.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from handlers.ledger import MailRecord
from handlers.notifications import handle_notifications
from mailroom.config import MailboxConfig
from mailroom.mime import parse_mail
from tests.cases import case_dir, case_json
from tests.fakes import FakeTicket
from tests.pipeline import Pipeline, pipeline_config

ENCODED = "01-rfc2047-encoded-subject"
LOCALIZED = "02-localized-reply-prefixes"
HEADERS = "03-reply-threading-by-headers"
AUTO = "05-auto-reply-loop"
BOUNCE = "06-bounce-ndr-loop"
INLINE = "09-inline-cid-no-disposition"
FORWARD = "10-forwarded-message-rfc822"
DUPLICATES = "13-duplicate-delivery-missing-ids"

NEW_MAILS = [
    (ENCODED, "message-q-folded.eml"),
    (ENCODED, "message-b-latin2.eml"),
    (ENCODED, "message-raw-utf8-header.eml"),
    (LOCALIZED, "new-de-wg.eml"),
    (HEADERS, "unrelated-same-subject.eml"),
    (AUTO, "human-mentions-autoreply.eml"),
    (INLINE, "outlook-inline-image.eml"),
    (FORWARD, "forward-as-attachment.eml"),
    (DUPLICATES, "same-message-first-copy.eml"),
    (DUPLICATES, "device-alert-no-msgid-no-date.eml"),
]
ACKNOWLEDGED = [
    (ENCODED, "message-q-folded.eml"),
    (LOCALIZED, "new-de-wg.eml"),
    (HEADERS, "unrelated-same-subject.eml"),
    (AUTO, "human-mentions-autoreply.eml"),
    (FORWARD, "forward-as-attachment.eml"),
    (DUPLICATES, "same-message-first-copy.eml"),
]
REPLIES = [
    (LOCALIZED, "reply-fi-vs.eml"),
    (LOCALIZED, "reply-de-aw-aw.eml"),
    (LOCALIZED, "reply-sv.eml"),
    (LOCALIZED, "reply-zh.eml"),
    (LOCALIZED, "reply-es-re-nospace.eml"),
    (HEADERS, "reply-in-reply-to-original.eml"),
    (HEADERS, "reply-references-ack-only.eml"),
]
AUTOMATED = [
    (AUTO, "ooo-rfc3834.eml"),
    (AUTO, "noreply-autoresponse.eml"),
    (BOUNCE, "dsn-unknown-user.eml"),
    (BOUNCE, "plain-bounce-no-report.eml"),
]
ENCODED_MAILS = [name for case, name in NEW_MAILS if case == ENCODED]


@dataclass
class CaseRun:
    """A pipeline set up with one shared case's mailbox and tickets."""

    case: str
    expected: dict[str, Any]
    pipeline: Pipeline
    address: str

    def feed(self, name: str) -> str:
        """Deliver one mail of the case and return its mailbox item id."""
        raw = (case_dir(self.case) / name).read_bytes()
        return self.pipeline.deliver(raw, to=self.address)

    def result(self, name: str) -> dict[str, Any]:
        """Return what expected.json says about one mail."""
        result: dict[str, Any] = self.expected["results"][name]
        return result

    def record(self, item_id: str) -> MailRecord:
        """Return the ledger record of a delivered item."""
        key = self.pipeline.ledger.item(self.address, item_id)
        record = self.pipeline.ledger.mail(key) if key else None
        assert record is not None, f"item {item_id} was never ingested"
        return record

    def ticket(self, item_id: str) -> FakeTicket:
        """Return the ticket that a delivered item opened."""
        done = self.pipeline.ledger.delivery(self.record(item_id).key, "local")
        assert done is not None and done.ticket is not None
        return self.pipeline.tracker.tickets[done.ticket.key]

    def sent(self) -> list[EmailMessage]:
        """Return every mail the case's helpdesk address sent."""
        box = self.pipeline.mailbox
        ids = box.items(self.address, "SentItems")
        raws = [box.read(self.address, "SentItems", i) for i in ids]
        return [
            email.message_from_bytes(raw, policy=policy.default)  # type: ignore[misc]
            for raw in raws
        ]

    def renotify(self, item_id: str) -> None:
        """Post the mailbox's notification of an item once more, as Graph may."""
        (body,) = [body for _, body in self.pipeline.posts if item_id.encode() in body]
        secret = self.pipeline.config.mail.client_state_secret
        answer = handle_notifications({}, body, secret.get_secret_value())
        assert answer.status == 202 and len(answer.enqueue) == 1
        self.pipeline.queues["mail-changes"] += answer.enqueue
        self.pipeline.drain()


def start(tmp_path: Path, case: str) -> CaseRun:
    """Return a pipeline on the case's helpdesk address with its tickets seeded."""
    expected = case_json(case, "expected.json")
    given = expected["given"]
    own_domain = given["ack_message_id_pattern"].rpartition("@")[2].rstrip(">")
    runtime = pipeline_config().runtime.model_copy(
        update={"message_id_domain": own_domain}
    )
    mailboxes = [MailboxConfig(address=given["helpdesk_address"])]
    config = pipeline_config(mailboxes=mailboxes, runtime=runtime)
    pipeline = Pipeline(tmp_path, config)

    for ticket in given.get("existing_tickets", []):
        names = ("created_from_message_id", "ack_message_id")
        ids = [ticket[name] for name in names if name in ticket]
        pipeline.seed_ticket(ticket["key"], ticket.get("summary", ""), ids)
    return CaseRun(case, expected, pipeline, given["helpdesk_address"])


def seeded_keys(run: CaseRun) -> set[str]:
    """Return the keys of the tickets the case starts with."""
    return {t["key"] for t in run.expected["given"].get("existing_tickets", [])}


def new_tickets(run: CaseRun) -> list[FakeTicket]:
    """Return the tickets the pipeline opened, not the seeded ones."""
    seeded = seeded_keys(run)
    tickets = run.pipeline.tracker.tickets
    return [ticket for key, ticket in tickets.items() if key not in seeded]


def field_name(label: str) -> str:
    """Return the snake_case field a `Label: value` line becomes by default."""
    return re.sub(r"\W+", "_", label.strip()).strip("_").lower()


def recipients(message: EmailMessage) -> list[str]:
    """Return the lower-cased To and Cc addresses of a sent mail."""
    headers = [message[name] for name in ("To", "Cc") if message[name]]
    return [a.addr_spec.lower() for h in headers for a in h.addresses]


def header_message_id(case: str, name: str) -> str | None:
    """Return the Message-ID a case mail carries, if any."""
    raw = (case_dir(case) / name).read_bytes()
    return parse_mail(raw).mail.message_id


def requester(case: str, name: str) -> str:
    """Return the sender address of a case mail."""
    sender = parse_mail((case_dir(case) / name).read_bytes()).mail.sender
    assert sender is not None
    return sender.email


@pytest.mark.parametrize(("case", "name"), NEW_MAILS)
def test_new_mail_opens_one_ticket_with_the_expected_summary(
    tmp_path: Path, case: str, name: str
) -> None:
    """A new mail opens exactly one ticket whose summary the case accepts."""
    run = start(tmp_path, case)
    item_id = run.feed(name)

    wanted = run.result(name)["ticket"]
    named = [wanted.get("summary"), wanted.get("summary_preferred")]
    accepted = [s for s in named if s] + wanted.get("summary_acceptable", [])
    summary = run.ticket(item_id).draft.summary
    assert [t.ref.key for t in new_tickets(run)] == [run.ticket(item_id).ref.key]
    assert summary in (accepted or [summary])
    assert run.record(item_id).status == "routed"


@pytest.mark.parametrize(("case", "name"), NEW_MAILS)
def test_new_mail_ticket_has_the_reporter_and_description(
    tmp_path: Path, case: str, name: str
) -> None:
    """The ticket's requester and description hold what the case names."""
    run = start(tmp_path, case)
    draft = run.ticket(run.feed(name)).draft

    wanted = run.result(name)["ticket"]
    assert draft.requester is not None
    assert draft.requester.email == wanted.get("reporter_email", draft.requester.email)
    assert draft.requester.name == wanted.get("reporter_name", draft.requester.name)
    for text in wanted.get("description_contains", []):
        assert text in draft.description


def test_case_01_body_labels_and_importance_become_fields(tmp_path: Path) -> None:
    """Component and Environment lines and Importance: High reach the ticket."""
    run = start(tmp_path, ENCODED)
    draft = run.ticket(run.feed("message-q-folded.eml")).draft

    wanted = run.result("message-q-folded.eml")["ticket"]
    for label, value in wanted["fields"].items():
        assert draft.fields[field_name(label)] == value
    assert draft.fields["severity"].lower() == wanted["severity_from_importance"]


@pytest.mark.parametrize("name", ENCODED_MAILS)
def test_case_01_has_no_encoded_words_or_mojibake_on_the_ticket(
    tmp_path: Path, name: str
) -> None:
    """No `=?`, `?=`, doubly decoded UTF-8 or U+FFFD reaches the ticket."""
    run = start(tmp_path, ENCODED)
    draft = run.ticket(run.feed(name)).draft

    assert draft.requester is not None
    for text in (draft.summary, draft.requester.name):
        assert "=?" not in text and "?=" not in text
    for text in (draft.summary, draft.description):
        assert "Ã" not in text and "\ufffd" not in text


@pytest.mark.parametrize(("case", "name"), ACKNOWLEDGED)
def test_acknowledgement_answers_the_requester_with_the_ticket_url(
    tmp_path: Path, case: str, name: str
) -> None:
    """One reply goes to the requester, under the mail, with the ticket's URL."""
    run = start(tmp_path, case)
    ticket = run.ticket(run.feed(name))

    wanted = run.result(name)["acknowledgement"]
    (ack,) = run.sent()
    url = run.expected["given"]["ticket_url_pattern"].format(key=ticket.ref.key)
    assert recipients(ack) == [wanted.get("to", requester(case, name))]
    assert ack["In-Reply-To"] == header_message_id(case, name)
    assert ack["In-Reply-To"] == wanted.get("in_reply_to", ack["In-Reply-To"])
    assert url in ack.get_content()


@pytest.mark.parametrize(("case", "name"), ACKNOWLEDGED)
def test_acknowledgement_carries_subject_and_loop_headers(
    tmp_path: Path, case: str, name: str
) -> None:
    """The reply keeps the subject and tells autoresponders to stay silent."""
    run = start(tmp_path, case)
    run.feed(name)

    wanted = run.result(name)["acknowledgement"]
    (ack,) = run.sent()
    assert wanted.get("subject_contains", "") in ack["Subject"]
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert wanted.get("not_to") not in recipients(ack)


@pytest.mark.parametrize(("case", "name"), REPLIES)
def test_reply_comments_on_the_seeded_ticket_without_acknowledgement(
    tmp_path: Path, case: str, name: str
) -> None:
    """A reply becomes one public comment on the named ticket and nothing else."""
    run = start(tmp_path, case)
    run.feed(name)

    wanted = run.result(name)
    (comment,) = run.pipeline.tracker.tickets[wanted["ticket_key"]].comments
    assert all(text in comment.body for text in wanted["comment_contains"])
    assert comment.public
    assert new_tickets(run) == [] and run.sent() == []


def test_case_03_partner_reply_is_authored_by_the_partner(tmp_path: Path) -> None:
    """The comment from the partner's header-linked reply names the partner."""
    run = start(tmp_path, HEADERS)
    run.feed("reply-in-reply-to-original.eml")

    wanted = run.result("reply-in-reply-to-original.eml")
    (comment,) = run.pipeline.tracker.tickets[wanted["ticket_key"]].comments
    assert comment.author is not None
    assert comment.author.email == wanted["comment_author"]


def test_case_02_six_mails_make_five_comments_and_one_ticket(tmp_path: Path) -> None:
    """Replies in any language thread by key; only the WG: forward is new."""
    run = start(tmp_path, LOCALIZED)
    for name in run.expected["results"]:
        run.feed(name)

    (opened,) = new_tickets(run)
    assert len(run.pipeline.tracker.tickets["HELP-42"].comments) == 5
    assert [recipients(ack) for ack in run.sent()] == [["katja.sommer@example.com"]]
    for value in opened.draft.fields.values():
        assert "HELP-42" not in value and "WG:" not in value


def test_case_03_same_subject_alone_never_threads(tmp_path: Path) -> None:
    """All three mails: two comments on HELP-57, the unlinked one is new."""
    run = start(tmp_path, HEADERS)
    for name in run.expected["results"]:
        run.feed(name)

    (opened,) = new_tickets(run)
    assert "sales training" in opened.draft.description
    comments = run.pipeline.tracker.tickets["HELP-57"].comments
    assert all("sales training" not in c.body for c in comments)
    assert len(comments) == 2


@pytest.mark.parametrize(("case", "name"), AUTOMATED)
def test_automated_mail_opens_nothing_and_sends_nothing(
    tmp_path: Path, case: str, name: str
) -> None:
    """Auto-replies and bounces are recorded as skipped, with a reason."""
    run = start(tmp_path, case)
    record = run.record(run.feed(name))

    assert record.status == "skipped"
    assert record.kind in ("auto_reply", "bounce") and record.reason
    assert not record.acknowledge
    assert new_tickets(run) == [] and run.sent() == []


@pytest.mark.parametrize(("case", "name"), AUTOMATED)
def test_automated_mail_is_at_most_an_internal_note_on_its_ticket(
    tmp_path: Path, case: str, name: str
) -> None:
    """Any note is private, on the case's ticket, and holds the named facts."""
    run = start(tmp_path, case)
    run.feed(name)

    wanted = run.result(name)
    note = wanted.get("internal_note_if_any", {})
    noted = note.get("ticket_key", wanted.get("ticket_key_if_noted"))
    for key, ticket in run.pipeline.tracker.tickets.items():
        assert all(not c.public for c in ticket.comments)
        assert key == noted or not ticket.comments
        assert all(
            t in c.body for c in ticket.comments for t in note.get("contains", [])
        )


@pytest.mark.parametrize(
    ("case", "name", "signal"),
    [
        (AUTO, "ooo-rfc3834.eml", "Auto-Submitted: auto-replied (RFC 3834)"),
        (AUTO, "noreply-autoresponse.eml", "X-Autoreply"),
        (BOUNCE, "dsn-unknown-user.eml", "multipart/report"),
        (BOUNCE, "plain-bounce-no-report.eml", "MAILER-DAEMON"),
    ],
)
def test_automated_mail_skip_names_the_signal(
    tmp_path: Path, case: str, name: str, signal: str
) -> None:
    """The recorded reason names the header or sender that gave the mail away."""
    run = start(tmp_path, case)
    record = run.record(run.feed(name))

    assert signal in record.reason


def test_case_06_plain_bounce_is_noted_on_help_64(tmp_path: Path) -> None:
    """The bounce quoting HELP-64's acknowledgement is a private note there."""
    run = start(tmp_path, BOUNCE)
    run.feed("plain-bounce-no-report.eml")

    (note,) = run.pipeline.tracker.tickets["HELP-64"].comments
    assert not note.public
    assert "old.mailbox@example.com" in note.body


@pytest.mark.parametrize(("case", "name"), AUTOMATED)
def test_loop_check_ten_deliveries_send_no_mail(
    tmp_path: Path, case: str, name: str
) -> None:
    """The same automated mail fed ten times sends nothing and opens nothing."""
    run = start(tmp_path, case)
    for _ in range(10):
        run.feed(name)

    assert run.sent() == []
    assert new_tickets(run) == []
    comments = [c for t in run.pipeline.tracker.tickets.values() for c in t.comments]
    assert len(comments) <= 1


def test_case_05_all_three_mails_answer_only_the_person(tmp_path: Path) -> None:
    """Only the human mail is acknowledged; no-reply and OOO get nothing."""
    run = start(tmp_path, AUTO)
    for name in run.expected["results"]:
        run.feed(name)

    (opened,) = new_tickets(run)
    assert not opened.draft.summary.startswith(("Automatic reply", "Automated"))
    assert [recipients(ack) for ack in run.sent()] == [["katja.sommer@example.com"]]


def test_case_06_bounces_never_answer_the_mailer_daemon(tmp_path: Path) -> None:
    """Both bounces together: no ticket, no mail, no public comment."""
    run = start(tmp_path, BOUNCE)
    for name in run.expected["results"]:
        run.feed(name)

    assert run.sent() == [] and new_tickets(run) == []
    tickets = run.pipeline.tracker.tickets.values()
    assert all(not c.public for t in tickets for c in t.comments)


def test_case_09_image_stays_inline_on_the_ticket(tmp_path: Path) -> None:
    """The cid: image without disposition is attached inline, bytes intact."""
    run = start(tmp_path, INLINE)
    ticket = run.ticket(run.feed("outlook-inline-image.eml"))

    (image,) = run.result("outlook-inline-image.eml")["ticket"]["inline_images"]
    attached = ticket.files[image["filename"]]
    assert attached.inline and attached.content_id == image["content_id"]
    assert (attached.size, attached.sha256) == (image["size"], image["sha256"])
    data = run.pipeline.services.blobs.get(f"files/{attached.sha256}")
    assert hashlib.sha256(data).hexdigest() == image["sha256"]


def test_case_09_pdf_is_an_ordinary_attachment(tmp_path: Path) -> None:
    """The invoice is attached as a file, not inline."""
    run = start(tmp_path, INLINE)
    ticket = run.ticket(run.feed("outlook-inline-image.eml"))

    wanted = run.result("outlook-inline-image.eml")["ticket"]
    (pdf,) = wanted["attachments_must_include"]
    attached = ticket.files[pdf["filename"]]
    assert not attached.inline
    assert (attached.size, attached.sha256) == (pdf["size"], pdf["sha256"])


def test_case_09_description_shows_the_image_without_dangling_cid(
    tmp_path: Path,
) -> None:
    """The description names the image where the cid: reference stood."""
    run = start(tmp_path, INLINE)
    ticket = run.ticket(run.feed("outlook-inline-image.eml"))

    description = ticket.draft.description
    assert "cid:" not in description.lower()
    before, image, after = description.partition("image001.png")
    assert image and "prints this pattern on every label" in before
    assert "invoice" in after


def test_case_10_one_ticket_for_the_forwarding_employee(tmp_path: Path) -> None:
    """The forwarder is the requester and the only one acknowledged."""
    run = start(tmp_path, FORWARD)
    ticket = run.ticket(run.feed("forward-as-attachment.eml"))

    wanted = run.result("forward-as-attachment.eml")
    assert new_tickets(run) == [ticket]
    assert ticket.draft.requester is not None
    assert ticket.draft.requester.email == wanted["ticket"]["reporter_email"]
    (ack,) = run.sent()
    assert recipients(ack) == [wanted["acknowledgement"]["to"]]


def test_case_10_forwarded_eml_and_its_photo_are_reachable(tmp_path: Path) -> None:
    """The kept .eml is on the ticket and its stored bytes hold the photo."""
    run = start(tmp_path, FORWARD)
    ticket = run.ticket(run.feed("forward-as-attachment.eml"))

    wanted = run.result("forward-as-attachment.eml")["ticket"]
    (name,) = wanted["forwarded_message_kept"]["as_attachment_filename_acceptable"]
    (photo,) = wanted["attachments_must_be_reachable"]
    stored = run.pipeline.services.blobs.get(f"files/{ticket.files[name].sha256}")
    inner = [
        f for f in parse_mail(stored).files if f.meta.filename == photo["filename"]
    ]
    assert [(f.meta.size, f.meta.sha256) for f in inner] == [
        (photo["size"], photo["sha256"])
    ]


def test_case_13_sequence_makes_two_tickets_and_one_acknowledgement(
    tmp_path: Path,
) -> None:
    """Two copies, then the alert twice over: two tickets, one laptop reply."""
    run = start(tmp_path, DUPLICATES)
    first, second, alert, _ = [
        run.feed(n.split(" ")[0]) for n in run.expected["sequence"]
    ]
    run.renotify(alert)

    summaries = sorted(t.draft.summary for t in new_tickets(run))
    assert len(summaries) == run.expected["expected_tickets_total"]
    assert summaries == ["New starter needs a laptop on Monday", "UPS on battery power"]
    laptop = [a for a in run.sent() if "mira.lindqvist@example.com" in recipients(a)]
    assert len(laptop) == 1
    assert run.record(first).key == run.record(second).key


def test_case_13_second_copy_is_a_duplicate_without_acknowledgement(
    tmp_path: Path,
) -> None:
    """The second copy maps to the first one's record and sends nothing more."""
    run = start(tmp_path, DUPLICATES)
    first = run.feed("same-message-first-copy.eml")
    sent_before = len(run.sent())
    second = run.feed("same-message-second-copy.eml")

    assert run.record(second) == run.record(first)
    assert len(run.sent()) == sent_before == 1
    assert run.pipeline.tracker.calls.count("create") == 1


def test_case_13_renotified_alert_item_opens_no_second_ticket(
    tmp_path: Path,
) -> None:
    """The same mailbox item notified again (and again) finds its ticket."""
    run = start(tmp_path, DUPLICATES)
    item_id = run.feed("device-alert-no-msgid-no-date.eml")
    run.renotify(item_id)
    run.renotify(item_id)

    assert [t.draft.summary for t in new_tickets(run)] == ["UPS on battery power"]
    assert run.pipeline.tracker.calls.count("create") == 1
    assert len(run.sent()) == 1 and run.pipeline.poison == []
