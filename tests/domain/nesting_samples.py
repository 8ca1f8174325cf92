"""Mail whose multiparts nest deep, for the parser's depth bound."""

from __future__ import annotations

HEAD = (
    "From: Aino Virtanen <aino.virtanen@example.com>\r\n"
    "To: helpdesk@example.org\r\n"
    "Subject: Printer on floor 3 offline\r\n"
    "Message-ID: <deep-1@mail.example.com>\r\n"
    "In-Reply-To: <first@mail.example.com>\r\n"
    "Date: Mon, 3 Jun 2024 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
)
SHALLOW = "Content-Type: text/plain\r\n\r\nThe printer does not answer.\r\n"
DEEP = "Content-Type: text/plain\r\n\r\nText at the bottom.\r\n"


def nested(depth: int, inner: str = DEEP) -> str:
    """Nest `depth` multiparts, boundary `b<n>` at level n, around `inner`."""
    opening = "".join(
        f"Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n"
        for level in range(depth)
    )
    closing = "".join(f"--b{level}--\r\n" for level in reversed(range(depth)))
    return opening + inner + closing


def deep_mail(depth: int) -> bytes:
    """Return a mail with a text part, then `depth` multiparts nested."""
    body = f"--top\r\n{SHALLOW}--top\r\n{nested(depth)}--top--\r\n"
    top = "Content-Type: multipart/mixed; boundary=top\r\n\r\n"
    return (HEAD + top + body).encode()
