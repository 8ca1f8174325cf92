"""What reaches a ticket of a mail's files: size limits and repeated files."""

from __future__ import annotations

from mailroom.config import AttachmentConfig
from mailroom.models import Attachment, AttachmentData, OversizedFile, ParsedMail


def apply_limits(parsed: ParsedMail, config: AttachmentConfig) -> ParsedMail:
    """Leave off the files that pass a size limit, recording each one.

    Files are taken in mail order: one larger than `max_bytes` is left off,
    and so is one that would bring the total past `max_total_bytes`.
    """
    kept: list[AttachmentData] = []
    oversized: list[OversizedFile] = []
    total = 0
    for item in parsed.files:
        limit = item.left_off or _limit_passed(item.meta.size, total, config)
        if limit is None:
            kept.append(item)
            total += item.meta.size
        else:
            oversized.append(_oversized(item.meta, limit))
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


def _limit_passed(size: int, total: int, config: AttachmentConfig) -> int | None:
    """Return the limit a file of `size` passes, given the total so far."""
    if size > config.max_bytes:
        return config.max_bytes
    if total + size > config.max_total_bytes:
        return config.max_total_bytes
    return None


def _oversized(meta: Attachment, limit: int) -> OversizedFile:
    """Record a file left off for passing `limit`."""
    return OversizedFile(filename=meta.filename, size=meta.size, limit=limit)


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
