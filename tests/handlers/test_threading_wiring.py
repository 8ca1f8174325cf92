"""The pipeline applies conversation threading, forwards and ack limits."""

from __future__ import annotations

import base64
from pathlib import Path

from mailroom.config import ForwardConfig
from tests.pipeline import Pipeline, pipeline_config

ROOT = bytes(range(22))


def _mail(subject: str, message_id: str, thread_index: bytes, body: str) -> bytes:
    """Build a plain mail from a customer with an Outlook Thread-Index."""
    index = base64.b64encode(thread_index).decode()
    return (
        "From: Aino Virtanen <aino.virtanen@example.com>\r\n"
        "To: helpdesk@example.org\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{message_id}@example.com>\r\n"
        f"Thread-Index: {index}\r\nDate: Mon, 3 Mar 2025 10:15:00 +0100\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_a_reply_found_only_by_thread_index_comments(tmp_path: Path) -> None:
    """Outlook's conversation root threads a reply without id headers."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(_mail("Printer offline", "m1", ROOT, "It is off."))
    pipeline.deliver(_mail("RE: Printer offline", "m2", ROOT + b"\1" * 5, "Still."))

    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1


def test_acknowledgements_per_sender_are_capped(tmp_path: Path) -> None:
    """A sender writing seven new mails in an hour gets five answers."""
    pipeline = Pipeline(tmp_path)
    for n in range(7):
        root = bytes([n]) * 22
        pipeline.deliver(_mail(f"Topic {n}", f"n{n}", root, "New."))

    assert len(pipeline.tracker.tickets) == 7
    assert len(pipeline.sent()) == 5


def test_an_agent_forward_makes_the_customer_requester(tmp_path: Path) -> None:
    """An internal forward opens the ticket for the forwarded mail's sender."""
    config = pipeline_config(forwards=ForwardConfig(internal_domains=["example.org"]))
    pipeline = Pipeline(tmp_path, config)
    body = (
        "Please help.\r\n\r\n-----Original Message-----\r\n"
        "From: Mika <mika@example.net>\r\nSent: Monday\r\n"
        "To: Agent <agent@example.org>\r\nSubject: Broken\r\n\r\nIt broke."
    )
    raw = _mail("FW: Broken", "f1", ROOT, body).replace(
        b"Aino Virtanen <aino.virtanen@example.com>", b"Agent <agent@example.org>"
    )
    pipeline.deliver(raw)

    [ticket] = pipeline.tracker.tickets.values()
    assert ticket.draft.requester is not None
    assert ticket.draft.requester.email == "mika@example.net"


def test_a_reply_carrying_only_the_acknowledgements_token_threads(
    tmp_path: Path,
) -> None:
    """Headers stripped and no key in the subject: the [MR:...] token threads."""
    from email.message import EmailMessage

    pipeline = Pipeline(tmp_path)
    request = EmailMessage()
    request["From"] = "Ada Lindqvist <ada@example.com>"
    request["Subject"] = "Badge reader at gate B"
    request["Message-ID"] = "<gate.b@example.com>"
    request.set_content("No badge opens gate B.\n")
    pipeline.deliver(request.as_bytes())
    ack_text = pipeline.sent()[0].get_content()
    token = next(line for line in ack_text.splitlines() if "[MR:" in line)

    reply = EmailMessage()
    reply["From"] = "Ada Lindqvist <ada@example.com>"
    reply["Subject"] = "gate"
    reply["Message-ID"] = "<gate.b.2@example.com>"
    reply.set_content(f"It works again.\n\n> {token}\n")
    pipeline.deliver(reply.as_bytes())

    [ticket] = pipeline.tracker.tickets.values()
    assert [c.body for c in ticket.comments] == ["It works again."]


def test_a_bounced_reply_is_noted_on_the_ticket_it_answered(tmp_path: Path) -> None:
    """Sample 08 returns a reply to sample 01: an internal note on HELP-1."""
    from runtime.session import SAMPLES

    pipeline = Pipeline(tmp_path)
    pipeline.deliver((SAMPLES / "01-vpn-outage-high-priority.eml").read_bytes())
    pipeline.deliver((SAMPLES / "08-bounce-unknown-recipient.eml").read_bytes())

    [ticket] = pipeline.tracker.tickets.values()
    [note] = ticket.comments
    assert not note.public
    assert "5.1.1" in note.body
    assert len(pipeline.sent()) == 1
