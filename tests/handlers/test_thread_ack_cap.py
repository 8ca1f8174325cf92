"""The per-thread acknowledgement cap counts the mail that opened the thread.

A new-user run saw four acknowledgements in one thread under a cap of
three: the original's was counted under one key, its follow-ups' under
another, so the original never counted for its thread.
"""

from __future__ import annotations

from pathlib import Path

from tests.pipeline import Pipeline

SUBJECTS = [
    "Loading bay door sticks",
    "Badge printer out of ribbons",
    "Guest wifi asks for a password",
    "Projector in room 2 flickers",
    "Monitor arm came loose",
]


def mail(number: int, sender: str, answers: str | None = None) -> bytes:
    """Return a mail from `sender`; with `answers`, one that answers it on
    a subject of its own, which opens a linked follow-up ticket."""
    head = f"In-Reply-To: {answers}\r\n" if answers else ""
    return (
        f"From: {sender}\r\nTo: helpdesk@example.org\r\n"
        f"Subject: {SUBJECTS[number]}\r\n"
        f"Message-ID: <door-{number}@mail.example.com>\r\n{head}"
        "Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n\r\n"
        f"Door {number} at the loading bay sticks when it is cold.\r\n"
    ).encode()


def test_an_original_and_its_follow_ups_share_the_thread_cap(tmp_path: Path) -> None:
    """Cap 3: the original and two follow-ups are acknowledged, two are not."""
    pipeline = Pipeline(tmp_path)
    pipeline.deliver(mail(0, "ruth.okafor@example.com"))
    senders = ["li.wei", "omar.haddad", "ines.moreau", "tomas.berg"]
    for number, name in enumerate(senders, start=1):
        pipeline.deliver(
            mail(number, f"{name}@example.com", answers="<door-0@mail.example.com>")
        )

    tickets = list(pipeline.tracker.tickets.values())
    assert len(tickets) == 5
    sent = [t for t in tickets if "acknowledgement-sent" in t.events]
    withheld = [t for t in tickets if "acknowledgement-withheld" in t.events]
    assert (len(sent), len(withheld)) == (3, 2)
    assert len(pipeline.sent()) == 3
