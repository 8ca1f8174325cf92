"""Attachments through the pipeline: limits told, logos once, mail in mail."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from mailroom.config import AttachmentConfig
from tests.pipeline import Pipeline, pipeline_config

LOGO = b"\x89PNG\r\n\x1a\n" + b"logo" * 20


def mail(subject: str, *files: tuple[str, bytes], reply_to: str | None = None) -> bytes:
    """Return a mail from Ada with the given files attached."""
    message = EmailMessage()
    message["From"] = "Ada Lindqvist <ada@example.com>"
    message["To"] = "helpdesk@example.org"
    message["Subject"] = subject
    slug = subject.removeprefix("RE: ").replace(" ", ".")
    message["Message-ID"] = f"<{slug}{'.re' if reply_to else ''}@example.com>"
    if reply_to:
        message["In-Reply-To"] = reply_to
    message.set_content("The scanner in room 12 is offline again.\n")
    for name, data in files:
        message.add_attachment(
            data, maintype="application", subtype="octet-stream", filename=name
        )
    return message.as_bytes()


def test_an_oversized_file_is_left_off_and_the_sender_told(tmp_path: Path) -> None:
    """A file over the limit is listed in the ticket's problems and the reply."""
    limits = AttachmentConfig(max_bytes=100, max_total_bytes=1000)
    pipeline = Pipeline(tmp_path, pipeline_config(attachments=limits))
    pipeline.deliver(
        mail("Scanner offline", ("dump.bin", b"x" * 500), ("log.txt", b"ok"))
    )

    [ticket] = pipeline.tracker.tickets.values()
    assert list(ticket.files) == ["log.txt"]
    assert [p.value for p in ticket.draft.problems] == ["dump.bin (500 bytes)"]
    assert "dump.bin (500 bytes)" in pipeline.sent()[0].get_content()


def test_each_problem_names_the_limit_its_file_passed(tmp_path: Path) -> None:
    """A file too large, and one too many for the total, are told apart."""
    limits = AttachmentConfig(max_bytes=270, max_total_bytes=500)
    pipeline = Pipeline(tmp_path, pipeline_config(attachments=limits))
    files = [("a.bin", b"a" * 280), ("b.bin", b"b" * 200), ("c.bin", b"c" * 200)]
    pipeline.deliver(mail("Scanner offline", *files, ("d.bin", b"d" * 150)))

    [ticket] = pipeline.tracker.tickets.values()
    assert list(ticket.files) == ["b.bin", "c.bin"]
    assert [(p.value, p.reason) for p in ticket.draft.problems] == [
        (
            "a.bin (280 bytes)",
            "over the 270-byte limit for one file; kept with the original mail",
        ),
        (
            "d.bin (150 bytes)",
            "with the files kept before it, 550 bytes, over the 500-byte limit "
            "for all of a mail's files; kept with the original mail",
        ),
    ]


def test_a_logo_repeated_in_every_reply_reaches_the_ticket_once(tmp_path: Path) -> None:
    """The same bytes under another name are not attached again."""
    pipeline = Pipeline(tmp_path)
    first = mail("Scanner offline", ("logo.png", LOGO))
    pipeline.deliver(first)
    reply = mail(
        "RE: Scanner offline",
        ("image001.png", LOGO),
        reply_to="<Scanner.offline@example.com>",
    )
    pipeline.deliver(reply)

    [ticket] = pipeline.tracker.tickets.values()
    assert len(ticket.comments) == 1
    assert list(ticket.files) == ["logo.png"]


def test_an_attached_mail_is_described_on_the_ticket(tmp_path: Path) -> None:
    """A forwarded .eml stays attached and its sender and text are shown."""
    inner = EmailMessage()
    inner["From"] = "Bo Kettunen <bo@example.net>"
    inner["Subject"] = "Order 7 arrived damaged"
    inner.set_content("The box was crushed on one side.\n")
    outer = EmailMessage()
    outer["From"] = "Ada Lindqvist <ada@example.com>"
    outer["Subject"] = "Please look at this complaint"
    outer.set_content("See the attached customer mail.\n")
    outer.add_attachment(inner)
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(outer.as_bytes())

    [ticket] = pipeline.tracker.tickets.values()
    assert "Order 7 arrived damaged" in ticket.draft.description
    assert "bo@example.net" in ticket.draft.description
    assert "The box was crushed on one side." in ticket.draft.description


def test_a_value_the_tool_refuses_is_reported_in_the_acknowledgement(
    tmp_path: Path,
) -> None:
    """The tool's own field check reaches the requester, not just the ticket."""
    pipeline = Pipeline(tmp_path)
    pipeline.tracker.allowed = {"severity": ["Low", "Medium"]}
    message = EmailMessage()
    message["From"] = "Ada Lindqvist <ada@example.com>"
    message["Subject"] = "Scanner offline"
    message["Importance"] = "high"
    message.set_content("The scanner in room 12 is offline again.\n")
    pipeline.deliver(message.as_bytes())

    ack = pipeline.sent()[0].get_content()
    assert "severity = High: not allowed in the tool" in ack
