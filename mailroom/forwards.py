"""Inline forwards: the forwarded mail's header block, and who the requester is.

Mail clients put a block of `Label: value` lines above the text they
forward, often under a separator line: Outlook ("From: / Sent: / To: /
Subject:" in the user's language, under a rule or "-----Original
Message-----"), Gmail ("---------- Forwarded message ---------"), Apple Mail
("Begin forwarded message:") and Thunderbird ("-------- Forwarded Message
--------"). The labels below cover the languages of those clients.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from mailroom.models import Address, Model, NormalizedMail

# Header labels by field, in every language; `fmt: skip` keeps the table
# dense instead of one label per line.
_LABELS: dict[str, tuple[str, ...]] = {
    "from": (
        "from", "von", "de", "da", "van", "fra", "från", "lähettäjä", "od",
        "kimden", "от", "发件人", "寄件人", "寄件者", "差出人", "보낸 사람",
    ),
    "date": (
        "sent", "date", "gesendet", "datum", "envoyé", "enviado", "enviada",
        "enviado el", "enviada em", "fecha", "inviato", "data", "verzonden",
        "sendt", "skickat", "lähetetty", "päivämäärä", "wysłano", "odesláno",
        "gönderildi", "tarih", "отправлено", "дата", "发送时间", "日期",
        "寄件日期", "送信日時", "日付", "보낸 날짜", "날짜",
    ),
    "to": (
        "to", "an", "à", "a", "para", "aan", "til", "till", "vastaanottaja",
        "do", "komu", "kime", "кому", "收件人", "宛先", "받는 사람",
    ),
    "cc": (
        "cc", "kopie", "copie à", "kopio", "kopia", "dw", "копия", "抄送",
        "副本", "참조",
    ),
    "subject": (
        "subject", "betreff", "objet", "asunto", "oggetto", "onderwerp",
        "assunto", "emne", "ämne", "aihe", "temat", "předmět", "konu", "тема",
        "主题", "主旨", "件名", "제목",
    ),
}  # fmt: skip
_FIELDS = {label: field for field, labels in _LABELS.items() for label in labels}
_LABEL = "|".join(re.escape(label) for label in sorted(_FIELDS, key=len, reverse=True))
# Markup that text made from HTML leaves around a label: `*From:*`, `> From:`.
_HEADER_LINE = re.compile(
    rf"^[\s>*]*(?P<label>{_LABEL})[\s*]*[:\uff1a][\s*]*(?P<value>.*?)\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:-{2,}[^\n]{0,60}-{2,}|_{10,})\s*$")
_ANNOUNCEMENT = re.compile(
    r"^[^\n:]{0,60}(?:forward|weitergeleitet|réexpédié|transféré|reenviad|"
    r"inoltrat|doorgestuurd|encaminhad|vidarebefordra|videresend|välitet|"
    r"przekazan|přeposlan|iletil|пересланн|转发|轉寄|転送|전달)[^\n:]{0,40}"
    r"[:\uff1a]\s*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.!#$%&'+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_NOISE = re.compile(r"mailto:|[<>\[\]()\"*]")
_WANTED = ("date", "to", "subject")


class ForwardedHeader(Model):
    """The header block of a forwarded mail, as its client wrote it.

    `block_start` is the offset in the text where the forwarded part
    begins: its separator line, or else its first header line.
    """

    sender: Address | None
    subject: str = ""
    date_text: str = ""
    block_start: int


class _Line(NamedTuple):
    """One line of a text and the offset where it starts."""

    start: int
    text: str


def parse_forwarded_header(text: str) -> ForwardedHeader | None:
    """Find the first forwarded header block in `text`, if there is one.

    A block needs a sender line and at least two of date, recipient and
    subject lines, so that a sentence starting "From:" is not one.
    """
    lines = _lines(text)
    for index, line in enumerate(lines):
        if not _HEADER_LINE.match(line.text):
            continue
        fields = _read_block(lines[index:])
        if "from" in fields and sum(name in fields for name in _WANTED) >= 2:
            return ForwardedHeader(
                sender=_address(fields["from"]),
                subject=fields.get("subject", ""),
                date_text=fields.get("date", ""),
                block_start=_block_start(lines, index),
            )
    return None


def choose_requester(
    mail: NormalizedMail,
    forwarded: ForwardedHeader | None,
    internal_domains: list[str],
) -> tuple[Address | None, str]:
    """Choose the requester of a mail that may forward another, with a reason.

    When someone of `internal_domains` forwards a mail inline, its original
    sender is the requester; anyone else stays the requester of what they
    forward, so that no customer can speak for another.
    """
    if forwarded is None:
        return mail.sender, "no forwarded header block: the sender is the requester"
    if not _is_internal(mail.sender, internal_domains):
        reason = "an external sender forwarded the mail and stays the requester"
        return mail.sender, reason
    if forwarded.sender is None:
        reason = "the forwarded header names no address: the forwarder stays"
        return mail.sender, reason
    reason = "an internal sender forwarded the mail: its original sender requests"
    return forwarded.sender, reason


def _lines(text: str) -> list[_Line]:
    """Split a text into lines that know their offsets."""
    lines: list[_Line] = []
    start = 0
    for line in text.splitlines(keepends=True):
        lines.append(_Line(start, line.rstrip("\r\n")))
        start += len(line)
    return lines


def _read_block(lines: list[_Line]) -> dict[str, str]:
    """Read header lines from the top of `lines`; the first of each field wins.

    One blank line may stand between two header lines, and a recipient list
    may go on over lines of its own.
    """
    fields: dict[str, str] = {}
    blank, last = 0, ""
    for line in lines:
        match = _HEADER_LINE.match(line.text)
        if match:
            last = _field(match.group("label"))
            fields.setdefault(last, match.group("value"))
            blank = 0
        elif not line.text.strip():
            blank += 1
            if blank > 1:
                break
        elif not (last in ("to", "cc") and blank == 0):
            break
    return fields


def _field(label: str) -> str:
    """Name the field of a label; Turkish dotted capital I folds to plain i."""
    return _FIELDS.get(label.casefold().replace("i\u0307", "i"), "other")


def _block_start(lines: list[_Line], index: int) -> int:
    """Return where the forwarded part starts: its separator, or its header."""
    above = index - 1
    while above >= 0 and not lines[above].text.strip():
        above -= 1
    if above >= 0 and index - above <= 2:
        text = lines[above].text
        if _RULE.match(text) or _ANNOUNCEMENT.match(text):
            return lines[above].start
    return lines[index].start


def _address(value: str) -> Address | None:
    """Read a header value such as `Name <a@b>` or `Name [mailto:a@b]`."""
    match = _EMAIL.search(value)
    if match is None:
        return None
    rest = value[: match.start()] + value[match.end() :]
    name = " ".join(_NAME_NOISE.sub(" ", rest).split()).strip("'")
    return Address(email=match.group(), name=name)


def _is_internal(sender: Address | None, internal_domains: list[str]) -> bool:
    """Tell whether a sender's domain, or a parent of it, is internal."""
    if sender is None:
        return False
    domain = sender.email.rpartition("@")[2].lower()
    for internal in internal_domains:
        wanted = internal.strip().lower().lstrip("@")
        if wanted and (domain == wanted or domain.endswith(f".{wanted}")):
            return True
    return False
