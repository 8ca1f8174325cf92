"""explain decides as ingest does; its diff decides stored mail as if new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mailroom.config import Config
from runtime import wiring
from runtime.cli import main
from runtime.explain import decide_arrival, file_arrival, report_of
from runtime.explain_diff import as_new, diff_configs, stored_arrivals
from runtime.local_host import LocalHost
from runtime.session import SAMPLES
from tests.pipeline import HELPDESK, Pipeline
from tests.runtime.config_files import config_file

NEW = SAMPLES / "01-vpn-outage-high-priority.eml"
REPLY = SAMPLES / "03-reply-to-vpn-outlook-quote.eml"
OOF = SAMPLES / "07-out-of-office.eml"
ONLY_EXAMPLE_NET = [
    {"name": "vip", "match": {"sender_domain": ["example.net"]}, "tools": ["local"]}
]


def config(tmp_path: Path, name: str, **changes: Any) -> Config:
    """Return the embedded configuration with changes, validated."""
    return wiring.load_config(config_file(tmp_path, name, **changes))


def mail_with_file(size: int) -> bytes:
    """Return a new request carrying one file of `size` bytes."""
    message = EmailMessage()
    message["From"] = "Dana Weber <dana@example.com>"
    message["To"] = HELPDESK
    message["Subject"] = "Disk image of the broken laptop"
    message["Message-ID"] = "<disk-image@example.com>"
    message.set_content("The image is attached.\n")
    message.add_attachment(
        b"x" * size, maintype="application", subtype="octet-stream", filename="disk.img"
    )
    return message.as_bytes()


def explain(*args: str) -> Any:
    """Run `mailroom explain` and return its JSON."""
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_file_over_the_limit_is_a_problem_named_in_the_acknowledgement(
    tmp_path: Path,
) -> None:
    """A file past attachments.max_bytes is left off, as ingest leaves it off."""
    path = config_file(tmp_path, "small", attachments={"max_bytes": 1000})
    mail = tmp_path / "disk.eml"
    mail.write_bytes(mail_with_file(2000))

    report = explain("--config", str(path), "explain", str(mail))

    [problem] = report["fields"]["problems"]
    assert problem["value"] == "disk.img (2000 bytes)"
    assert "over the 1000-byte limit" in problem["reason"]
    assert report["mail"]["attachments"] == []
    assert "disk.img (2000 bytes)" in report["acknowledgement"]["text_body"]


def test_explain_foretells_what_ingest_records_for_every_sample(
    tmp_path: Path,
) -> None:
    """Explained just before its delivery, each sample gets the record ingest writes."""
    small = config(tmp_path, "small", attachments={"max_bytes": 1000})
    pipeline = Pipeline(tmp_path, small)
    for path in sorted(SAMPLES.glob("*.eml")):
        raw = path.read_bytes()
        arrival = file_arrival(raw, path.name, small, HELPDESK)
        at = datetime.now(UTC)
        foretold = decide_arrival(arrival, small, pipeline.services.store, at).record

        pipeline.deliver(raw)

        recorded = pipeline.ledger.mail(foretold.key)
        assert recorded is not None, path.name
        ignored = {"recorded_at", "item_id"}
        assert foretold.model_dump(exclude=ignored) == recorded.model_dump(
            exclude=ignored
        ), path.name


@pytest.fixture
def stored(tmp_path: Path) -> Pipeline:
    """Return a pipeline that has taken in a new request and a reply to it."""
    pipeline = Pipeline(tmp_path, config(tmp_path, "current"))
    pipeline.deliver(NEW.read_bytes())
    pipeline.deliver(REPLY.read_bytes())
    return pipeline


def test_a_route_change_turns_a_stored_ticket_into_a_skip(
    stored: Pipeline, tmp_path: Path
) -> None:
    """Stored mail is decided as if new, not as a duplicate of itself."""
    changed = config(tmp_path, "changed", routes=ONLY_EXAMPLE_NET)
    arrivals = stored_arrivals(stored.ledger, stored.services.blobs)

    differences = diff_configs(arrivals, stored.config, changed, stored.services.store)

    [entry] = differences
    assert entry["subject"] == "VPN gateway drops connections every few minutes"
    assert entry["source"].startswith("helpdesk@example.org item ")
    assert entry["changes"]["outcome"] == {"before": "ticket", "after": "skip"}


def test_a_stored_reply_still_threads_to_the_ticket_it_answers(
    stored: Pipeline, tmp_path: Path
) -> None:
    """Decided anew, the reply is a comment on the first mail's ticket."""
    changed = config(tmp_path, "changed", routes=ONLY_EXAMPLE_NET)
    arrivals = stored_arrivals(stored.ledger, stored.services.blobs)
    reply = next(a for a in arrivals if a.raw == REPLY.read_bytes())

    decision = decide_arrival(reply, changed, stored.services.store, datetime.now(UTC))

    report = as_new(decision, changed)
    assert (report["outcome"], report["thread"]["tickets"]) == (
        "comment",
        {"local": "HELP-1"},
    )


def test_a_stored_mail_shows_its_decisions_as_new_and_its_record(
    stored: Pipeline,
) -> None:
    """Explained again, a ticket's mail shows the ticket, ack and stored record."""
    arrival = file_arrival(NEW.read_bytes(), NEW.name, stored.config, HELPDESK)
    at = datetime.now(UTC)
    decision = decide_arrival(arrival, stored.config, stored.services.store, at)

    report = report_of(decision, stored.config)

    assert report["outcome"] == "ticket"
    assert report["deliveries"] == [
        {"tool": "local", "action": "create", "ticket": None}
    ]
    assert report["acknowledgement"]["subject"].startswith("[(local key)] VPN")
    assert report["stored"]["outcome"] == "duplicate"
    assert report["stored"]["recorded"]["status"] == "routed"
    assert report["stored"]["recorded"]["tickets"]["local"]["key"] == "HELP-1"
    assert report["stored"]["resent"] == []


def stored_tickets(pipeline: Pipeline, path: Path) -> Any:
    """Return the tickets explain says the stored mail at `path` reached."""
    arrival = file_arrival(path.read_bytes(), path.name, pipeline.config, HELPDESK)
    at = datetime.now(UTC)
    decision = decide_arrival(arrival, pipeline.config, pipeline.services.store, at)
    return report_of(decision, pipeline.config)["stored"]["recorded"]["tickets"]


def test_a_stored_reply_shows_the_ticket_it_was_commented_on(
    stored: Pipeline,
) -> None:
    """A comment reached a ticket too: the one its original opened, with its URL."""
    opened = stored_tickets(stored, NEW)

    assert stored_tickets(stored, REPLY) == opened
    assert opened["local"]["key"] == "HELP-1"
    assert opened["local"]["url"].endswith("HELP-1")


def test_a_reply_ingested_before_its_ticket_opened_shows_that_ticket(
    tmp_path: Path,
) -> None:
    """A comment that waited for its original's ticket names that ticket."""
    pipeline = Pipeline(tmp_path, config(tmp_path, "current"))
    pipeline.mailbox.deliver(HELPDESK, NEW.read_bytes(), "Inbox")
    pipeline.mailbox.deliver(HELPDESK, REPLY.read_bytes(), "Inbox")
    pipeline.drain()

    [reply] = [r for r in pipeline.ledger.mails() if r.kind == "reply"]
    assert str(reply.deliveries[0].ticket_key).startswith("pending:")
    assert stored_tickets(pipeline, REPLY) == stored_tickets(pipeline, NEW)


def test_a_comment_on_a_ticket_mailroom_did_not_open_has_no_url(
    tmp_path: Path,
) -> None:
    """A key in the subject names a ticket made in the tool: key, and no URL."""
    pipeline = Pipeline(tmp_path, config(tmp_path, "current"))
    pipeline.seed_ticket("HELP-7", "Printer jams")
    mail = tmp_path / "key.eml"
    mail.write_bytes(
        b"From: Ivy <ivy@example.com>\r\nTo: helpdesk@example.org\r\n"
        b"Subject: RE: [HELP-7] Printer jams\r\n"
        b"Message-ID: <jam@example.com>\r\n\r\nStill jams.\r\n"
    )
    pipeline.deliver(mail.read_bytes())

    assert stored_tickets(pipeline, mail) == {"local": {"key": "HELP-7", "url": None}}


def test_a_new_mail_is_not_stored(tmp_path: Path) -> None:
    """A mail the ledger does not know has no stored record to show."""
    report = explain("--config", str(config_file(tmp_path)), "explain", str(NEW))

    assert (report["stored"], report["outcome"]) == (None, "ticket")


def test_explain_addresses_the_sender_when_reply_to_is_watched(
    tmp_path: Path,
) -> None:
    """Reply-To: the helpdesk shows To: the sender, as acknowledge sends it."""
    mail = tmp_path / "ivy.eml"
    mail.write_bytes(
        b"From: Ivy <ivy@example.com>\r\nReply-To: helpdesk@example.org\r\n"
        b"To: helpdesk@example.org\r\nSubject: Gate B badge reader\r\n"
        b"Message-ID: <gate@example.com>\r\n\r\nNo badge opens it.\r\n"
    )

    report = explain("--config", str(config_file(tmp_path)), "explain", str(mail))

    assert report["classification"]["acknowledge"] is True
    assert report["acknowledgement"]["to"] == [
        {"email": "ivy@example.com", "name": "Ivy"}
    ]


def test_explain_shows_no_acknowledgement_when_only_watched_is_left(
    tmp_path: Path,
) -> None:
    """A broken From and a watched Reply-To: none, with the reason."""
    mail = tmp_path / "broken.eml"
    mail.write_bytes(
        b"From: <bad\xff\xfe@example.com>\r\nReply-To: HELPDESK@example.org\r\n"
        b"To: helpdesk@example.org\r\nSubject: Gate B badge reader\r\n"
        b"Message-ID: <gate@example.com>\r\n\r\nNo badge opens it.\r\n"
    )

    report = explain("--config", str(config_file(tmp_path)), "explain", str(mail))

    assert report["acknowledgement"] is None
    assert "it is a mailbox Mailroom watches" in report["classification"]["reason"]


def test_explain_prints_one_key_and_value_a_line(tmp_path: Path) -> None:
    """The human output is `key: value` lines, never a wrapped dict."""
    path = config_file(tmp_path, "current")
    result = CliRunner().invoke(main, ["--config", str(path), "explain", str(OOF)])

    lines = result.output.splitlines()
    assert "outcome: skip" in lines
    assert "classification.reason: Auto-Submitted: auto-replied (RFC 3834)" in lines
    assert not [line for line in lines if line.startswith("{")]


def test_diff_over_the_data_folder_names_each_changed_mail(
    tmp_path: Path, host: LocalHost
) -> None:
    """`explain --diff` reads the host's ledger and shows `ticket → skip`."""
    mailbox = wiring.local_mailbox(wiring.settings())
    for sample in (NEW, REPLY):
        mailbox.deliver(HELPDESK, sample.read_bytes())
        assert host.wait_idle(60)
    current = config_file(tmp_path, "current")
    changed = config_file(tmp_path, "changed", routes=ONLY_EXAMPLE_NET)

    result = CliRunner().invoke(
        main, ["--config", str(current), "explain", "--diff", str(changed)]
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("VPN gateway drops connections every few minutes  (")
    assert "    outcome: ticket → skip" in lines
    assert not [line for line in lines if "duplicate" in line]
