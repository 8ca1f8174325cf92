"""The embedded blob store: one file per blob under a root folder."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path
from typing import IO

from mailroom.errors import BlobNotFoundError, PermanentError

MAX_NAME_LENGTH = 1024
COPY_BYTES = 1024 * 1024
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class FolderBlobs:
    """Serve the BlobStore port from files under `root`.

    Names are relative paths such as `mail/<key>.json`. Writes go to a
    temporary file that replaces the target in one step, so a reader sees
    the old bytes or the new ones, never a torn file.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def put(self, name: str, data: bytes) -> None:
        """Store `data` under `name`, replacing what was there."""
        target = self._path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)

    def upload(self, name: str, stream: IO[bytes]) -> None:
        """Store what `stream` holds under `name`, copying it piece by piece."""
        target = self._path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, stream)

    def get(self, name: str) -> bytes:
        """Return the bytes under `name`; raise BlobNotFoundError."""
        try:
            return self._path(name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise BlobNotFoundError(
                f"no blob is stored under {name!r}; it may never have been "
                "written or the data folder was cleared"
            ) from exc

    def exists(self, name: str) -> bool:
        """Tell whether `name` is stored."""
        return self._path(name).is_file()

    def _path(self, name: str) -> Path:
        check_blob_name(name)
        return self.root.joinpath(*name.split("/"))


def check_blob_name(name: str) -> None:
    """Refuse a name that could leave the root or clash with temporary files."""
    segments = name.split("/")
    valid = 0 < len(name) <= MAX_NAME_LENGTH and all(
        _SEGMENT.fullmatch(segment) for segment in segments
    )
    if not valid:
        raise PermanentError(
            f"the blob name {name!r} is not allowed; use relative names of "
            "letters, digits, '.', '_', '-' and '/', with no empty, '.' or "
            "'..' parts and no part starting with '.'"
        )


def write_atomically(target: Path, data: bytes | IO[bytes]) -> None:
    """Write `data` to `target` through a temporary file and os.replace."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb") as handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                shutil.copyfileobj(data, handle, COPY_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise  # the stream failed: nothing is left behind
        raise PermanentError(
            f"could not write {target.name} ({exc.strerror}); check that the "
            "data folder is writable and has space"
        ) from exc
