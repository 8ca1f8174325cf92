"""The directory of a .msg counted along its sector chain before opening."""

from __future__ import annotations

import olefile

from mailroom.ole_guard import MAX_ENTRIES, directory_fits
from mailroom.outlook_msg import OLE_MAGIC, read_outlook_msg
from tests.domain.attachment_samples import outlook_msg


def _msg(files: int) -> bytes:
    """Build a .msg with `files` small attached files."""
    attached = {f"scan-{n}.txt": b"x" for n in range(files)}
    return outlook_msg("Scans", "Ann", "ann@example.com", "See scans.", attached)


def test_entries_are_counted_as_olefile_counts_them() -> None:
    """The count is the length of the directory olefile loads."""
    data = _msg(files=10)
    with olefile.OleFileIO(data) as ole:
        entries = len(ole.direntries)

    assert directory_fits(data, limit=entries)
    assert not directory_fits(data, limit=entries - 1)


def test_msg_with_a_directory_past_the_limit_is_unreadable() -> None:
    """Over a thousand attached files: the .msg is not opened and gives None."""
    data = _msg(files=MAX_ENTRIES // 4)

    assert not directory_fits(data)
    assert read_outlook_msg(data, "Scans.msg") is None


def test_header_too_broken_to_follow_is_left_to_olefile() -> None:
    """A short file, or one with an odd sector size, is not refused here."""
    assert directory_fits(OLE_MAGIC + bytes(100))
    assert directory_fits(OLE_MAGIC + bytes(600))
