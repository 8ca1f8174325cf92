"""What a mail still gives when its body cannot be parsed: headers, some text.

A body can defeat the parser in ways no bound foresaw. Its headers come
first and are read on their own, so the mail keeps what acknowledging and
threading it need: sender, subject, ids, dates and recipients. The text of
its parts down to a few levels is read from a second, shallow parse; its
files are left unread, and a defect names both.
"""

from __future__ import annotations

from email.message import Message

from mailroom.bodies import html_to_text
from mailroom.charsets import decode_bytes
from mailroom.mime_headers import read_headers
from mailroom.mime_nesting import ShallowMessage
from mailroom.mime_raw import read_message, read_shallow_message
from mailroom.mime_tree import body_parts, content_type, report_type
from mailroom.models import NormalizedMail


def salvage_mail(raw: bytes, error: Exception) -> NormalizedMail:
    """Return the headers and shallow text of a mail that failed to parse."""
    reason = type(error).__name__
    try:
        message = read_message(raw, headers_only=True)
        mail = read_headers(message)
    except Exception:  # the headers are beyond reading too: nothing is left
        return NormalizedMail(defects=[f"The mail could not be parsed ({reason})."])

    text = _shallow_text(raw)
    depth = ShallowMessage.max_nesting
    if text:
        defect = (
            f"The mail's body could not be read whole ({reason}); only its "
            f"text down to {depth} levels deep was kept, and its files and "
            "deeper parts were left unread."
        )
    else:
        defect = (
            f"The mail's body could not be read ({reason}); only its headers "
            "were kept, and its text and files were left unread."
        )
    update = {
        "content_type": content_type(message),
        "report_type": report_type(message),
        "text_body": text,
        "defects": [*mail.defects, defect],
    }
    return mail.model_copy(update=update)


def _shallow_text(raw: bytes) -> str:
    """Return the plain text of the body parts a shallow parse finds, or ''."""
    try:
        message = read_shallow_message(raw)
        plain = [_decode(part) for part in body_parts(message, "plain")]
        if any(text.strip() for text in plain):
            return "\n".join(plain).replace("\r\n", "\n")
        html = "\n".join(_decode(part) for part in body_parts(message, "html"))
        return html_to_text(html) if html.strip() else ""
    except Exception:  # the shallow parse failed as well: headers only
        return ""


def _decode(part: Message) -> str:
    """Decode one text part with its declared or detected charset."""
    data = part.get_payload(decode=True)
    charset = part.get_param("charset")
    label = charset if isinstance(charset, str) else None
    return decode_bytes(data if isinstance(data, bytes) else b"", label)
