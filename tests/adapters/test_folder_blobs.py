"""The embedded folder blob store."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from adapters.blobs.folder import FolderBlobs
from mailroom.errors import BlobNotFoundError, PermanentError


@pytest.fixture
def blobs(tmp_path: Path) -> FolderBlobs:
    """Return an empty blob folder."""
    return FolderBlobs(tmp_path / "blobs")


def test_put_then_get_round_trips(blobs: FolderBlobs) -> None:
    """Stored bytes come back under the same name."""
    blobs.put("raw/abc.eml", b"Subject: x\r\n\r\nbody")
    assert blobs.get("raw/abc.eml") == b"Subject: x\r\n\r\nbody"
    assert blobs.exists("raw/abc.eml")


def test_put_replaces_and_leaves_no_temporary_file(blobs: FolderBlobs) -> None:
    """A second put replaces the bytes; only the blob remains on disk."""
    blobs.put("mail/k.json", b"old")
    blobs.put("mail/k.json", b"new")

    assert blobs.get("mail/k.json") == b"new"
    assert [p.name for p in (blobs.root / "mail").iterdir()] == ["k.json"]


def test_missing_blob_raises_not_found(blobs: FolderBlobs) -> None:
    """Get of an unknown name is BlobNotFoundError; exists says False."""
    assert not blobs.exists("files/none")
    with pytest.raises(BlobNotFoundError):
        blobs.get("files/none")


@pytest.mark.parametrize(
    "name",
    [
        "../escape",
        "mail/../../escape",
        "/etc/passwd",
        "mail//k.json",
        "mail/./k.json",
        "mail/.hidden",
        "mail\\k.json",
        "mail/k json",
        "mail/k\x00.json",
        "",
        "a/",
    ],
)
def test_hostile_names_are_refused(blobs: FolderBlobs, name: str) -> None:
    """Names that could escape the root or hide files are refused."""
    with pytest.raises(PermanentError):
        blobs.put(name, b"x")
    assert not any(blobs.root.parent.rglob("escape"))


def test_readers_never_see_a_torn_write(blobs: FolderBlobs) -> None:
    """While one thread rewrites a blob, another reads old or new, never a mix."""
    blobs.put("files/big", b"a" * 1_000_000)
    done = threading.Event()

    def rewrite() -> None:
        for n in range(30):
            blobs.put("files/big", (b"b" if n % 2 else b"a") * 1_000_000)
        done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    while not done.is_set():
        data = blobs.get("files/big")
        assert len(data) == 1_000_000 and len(set(data)) == 1
    writer.join()


class BrokenStream(io.RawIOBase):
    """A stream that yields some bytes, then fails as a dropped connection."""

    def __init__(self) -> None:
        super().__init__()
        self._given = False

    def readable(self) -> bool:
        """Tell io that this stream can be read."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Give one chunk, then fail."""
        if self._given:
            raise RuntimeError("the mail's download broke off")
        self._given = True
        buffer[:4] = b"MIME"
        return 4


def test_upload_copies_a_stream_into_the_blob(blobs: FolderBlobs) -> None:
    """A stream is stored piece by piece under the name."""
    data = bytes(range(256)) * 10_000

    blobs.upload("originals/a.eml", io.BytesIO(data))

    assert blobs.get("originals/a.eml") == data


def test_a_failed_upload_leaves_nothing_behind(
    blobs: FolderBlobs, tmp_path: Path
) -> None:
    """The stream's own error comes through; the temporary file is gone."""
    with pytest.raises(RuntimeError, match="broke off"):
        blobs.upload("originals/a.eml", BrokenStream())  # type: ignore[arg-type]

    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
