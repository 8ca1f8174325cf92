"""What reaches a ticket of a mail's files: size limits and repeated files."""

from __future__ import annotations

from mailroom.config import AttachmentConfig
from mailroom.models import Attachment, AttachmentData, OversizedFile, ParsedMail


def apply_limits(parsed: ParsedMail, config: AttachmentConfig) -> ParsedMail:
    """Leave off the files that pass a size limit, recording each one.

    Files are taken in mail order: one larger than `max_bytes` is left off,
    and so is one that would bring the files kept so far past
    `max_total_bytes`.
    """
    kept: list[AttachmentData] = []
    oversized: list[OversizedFile] = []
    total = 0
    for item in parsed.files:
        passed = limit_passed(item, total, config)
        if passed is None:
            kept.append(item)
            total += item.meta.size
        else:
            oversized.append(passed)
    if not oversized:
        return parsed

    dropped = {record.filename for record in oversized}
    mail = parsed.mail.model_copy(
        update={
            "attachments": [
                meta for meta in parsed.mail.attachments if meta.filename not in dropped
            ],
            "oversized": [*parsed.mail.oversized, *oversized],
        }
    )
    return ParsedMail(mail=mail, files=kept)


def limit_passed(
    item: AttachmentData, total: int, config: AttachmentConfig
) -> OversizedFile | None:
    """Return the record of the limit a file passes, given the total kept so far.

    A file the spool left off passed a limit already; its size and the
    total tell which one, as they told the spool.
    """
    name, size = item.meta.filename, item.meta.size
    if size > config.max_bytes:
        return OversizedFile(
            filename=name, size=size, limit=config.max_bytes, passed="file"
        )
    if total + size > config.max_total_bytes:
        return OversizedFile(
            filename=name,
            size=size,
            limit=config.max_total_bytes,
            passed="total",
            total=total + size,
        )
    if item.left_off is not None:  # spooled under other limits: keep its word
        return OversizedFile(filename=name, size=size, limit=item.left_off)
    return None


def dedupe_files(
    attachments: list[Attachment], already_on_ticket: set[str]
) -> list[Attachment]:
    """Return the files a ticket still lacks, each content once.

    Files are compared by SHA-256, so a signature logo that every reply
    carries, under whatever name, reaches the ticket only the first time.
    """
    seen = set(already_on_ticket)
    fresh: list[Attachment] = []
    for attachment in attachments:
        if attachment.sha256 not in seen:
            seen.add(attachment.sha256)
            fresh.append(attachment)
    return fresh
