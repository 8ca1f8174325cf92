"""The local mailbox's files: `<root>/<address>/<folder>/<item_id>.eml`."""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from mailroom.errors import MessageNotFoundError, PermanentError

SUFFIX = ".eml"
_ADDRESS = re.compile(r"[a-z0-9_%+'-][a-z0-9._%+'-]*@[a-z0-9-]+(\.[a-z0-9-]+)*")
_FOLDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,63}")
_ITEM_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class MailFolders:
    """Mail kept as one .eml file per item, in a folder per mailbox folder.

    A mail keeps its file name, the item id, wherever it moves, as Graph's
    immutable ids do. New files appear whole: they are written aside and
    then hard-linked into place, which also fails if the id is taken.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def has_mailbox(self, address: str) -> bool:
        """Tell whether a folder exists for `address`."""
        if not is_plain_address(address):
            return False
        return (self.root / address.lower()).is_dir()

    def ensure(self, address: str, folder: str) -> None:
        """Create a mailbox folder if it does not exist yet."""
        self._folder_dir(address, folder).mkdir(parents=True, exist_ok=True)

    def add(
        self, address: str, folder: str, item_id: str, raw: bytes, at: datetime
    ) -> bool:
        """Store a new item; return False if the mailbox has that id already."""
        if self.locate(address, item_id) is not None:
            return False

        directory = self._folder_dir(address, folder)
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".{item_id}.{uuid.uuid4().hex}.tmp"
        try:
            _write_new(temporary, raw, at)
            os.link(temporary, directory / (item_id + SUFFIX))
        except FileExistsError:
            return False
        except OSError as exc:
            raise PermanentError(
                f"could not store item {item_id} ({exc.strerror}); check that "
                "the local mailbox folder is writable"
            ) from exc
        finally:
            temporary.unlink(missing_ok=True)
        return True

    def locate(self, address: str, item_id: str) -> str | None:
        """Return the folder that holds `item_id`, or None."""
        _check_item_id(item_id)
        mailbox = self._mailbox_dir(address)
        if not mailbox.is_dir():
            return None
        for folder in sorted(mailbox.iterdir()):
            if (folder / (item_id + SUFFIX)).is_file():
                return folder.name
        return None

    def read(self, address: str, folder: str, item_id: str) -> bytes:
        """Return an item's raw MIME; raise MessageNotFoundError."""
        try:
            return self.path(address, folder, item_id).read_bytes()
        except FileNotFoundError as exc:
            raise _not_found(item_id) from exc

    def received_at(self, address: str, folder: str, item_id: str) -> datetime:
        """Return when the item arrived: its file's modification time, in UTC."""
        try:
            stamp = self.path(address, folder, item_id).stat().st_mtime
        except FileNotFoundError as exc:
            raise _not_found(item_id) from exc
        return datetime.fromtimestamp(stamp, UTC)

    def move(self, address: str, item_id: str, folder: str) -> str:
        """Move an item to `folder`, keeping its id; return the old folder."""
        source = self.locate(address, item_id)
        if source is None:
            raise _not_found(item_id)

        target = self._folder_dir(address, folder)
        if source != target.name:
            target.mkdir(parents=True, exist_ok=True)
            os.replace(self.path(address, source, item_id), target / (item_id + SUFFIX))
        return source

    def items(self, address: str, folder: str) -> list[str]:
        """List the item ids of a folder, oldest first."""
        directory = self._folder_dir(address, folder)
        if not directory.is_dir():
            return []
        files = [
            path
            for path in directory.iterdir()
            if path.suffix == SUFFIX and _ITEM_ID.fullmatch(path.stem)
        ]
        files.sort(key=lambda path: (path.stat().st_mtime, path.name))
        return [path.stem for path in files]

    def path(self, address: str, folder: str, item_id: str) -> Path:
        """Return the file of an item, whether or not it exists."""
        _check_item_id(item_id)
        return self._folder_dir(address, folder) / (item_id + SUFFIX)

    def _folder_dir(self, address: str, folder: str) -> Path:
        if not _FOLDER.fullmatch(folder):
            raise PermanentError(
                f"the folder name {folder!r} is not allowed; use letters, "
                "digits, spaces, '_' and '-', such as Inbox or SentItems"
            )
        return self._mailbox_dir(address) / folder

    def _mailbox_dir(self, address: str) -> Path:
        if not is_plain_address(address):
            raise PermanentError(
                "a mailbox address is not a plain address (name@domain); "
                "the local mailbox keeps one folder per address"
            )
        return self.root / address.lower()


def is_plain_address(address: str) -> bool:
    """Tell whether `address` is a bare name@domain, as a mailbox folder needs."""
    return _ADDRESS.fullmatch(address.lower()) is not None


def new_item_id() -> str:
    """Return a fresh immutable item id."""
    return "AAMk" + uuid.uuid4().hex


def _write_new(path: Path, raw: bytes, at: datetime) -> None:
    with open(path, "xb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    stamp = at.timestamp()
    os.utime(path, (stamp, stamp))


def _check_item_id(item_id: str) -> None:
    if not _ITEM_ID.fullmatch(item_id):
        raise MessageNotFoundError(
            f"{item_id!r} is not an item id of the local mailbox"
        )


def _not_found(item_id: str) -> MessageNotFoundError:
    return MessageNotFoundError(
        f"item {item_id} is not in the local mailbox; it was deleted or the "
        "id belongs to another mailbox"
    )
