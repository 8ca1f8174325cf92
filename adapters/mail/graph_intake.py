"""Take a mail's MIME in as Graph streams it, in bounded memory.

A mail of up to `memory_bytes` is kept in memory as it arrived: nearly all
mail. A larger one goes on to blob storage as it arrives (through a pipe
to an upload running in a worker thread), while a MimeSpool keeps its
skeleton: everything but the files too large for a ticket. The ingest then
reads the skeleton and records the blob as the original mail.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import queue
import secrets

from mailroom.config import AttachmentConfig
from mailroom.errors import PermanentError, RetryableError
from mailroom.mime_spool import MimeSpool
from mailroom.ports import BlobStore

# Chunks in flight between the stream and the upload: a few hundred KB.
PIPE_DEPTH = 8
# How often a full pipe checks that the upload is still reading it.
PIPE_WAIT = 0.5


class MessageTooLargeError(PermanentError):
    """A mail's MIME is larger than Mailroom takes from a mailbox."""


class BlobPipe(io.RawIOBase):
    """A readable stream of the chunks that another thread puts in."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(
            PIPE_DEPTH
        )
        self._rest = b""
        self._ended = False

    def readable(self) -> bool:
        """Tell io that this stream can be read."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` from the next chunks; 0 at the end of the stream."""
        while not self._rest and not self._ended:
            item = self._chunks.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                self._ended = True
            else:
                self._rest = item
        count = min(len(buffer), len(self._rest))
        buffer[:count] = self._rest[:count]
        self._rest = self._rest[count:]
        return count

    def put(self, chunk: bytes | BaseException | None, timeout: float) -> None:
        """Add a chunk, the end (None) or a failure; raise queue.Full on time-out."""
        self._chunks.put(chunk, timeout=timeout)


class Intake:
    """Collect one mail's MIME from its chunks."""

    def __init__(
        self,
        blobs: BlobStore | None,
        original: str,
        limits: AttachmentConfig,
        max_bytes: int,
        memory_bytes: int,
    ) -> None:
        self._blobs = blobs
        self._original = original
        self._limits = limits
        self._max_bytes = max_bytes
        self._memory_bytes = memory_bytes
        self._head: list[bytes] = []
        self._size = 0
        self._spool: MimeSpool | None = None
        self._pipe: BlobPipe | None = None
        self._upload: asyncio.Future[None] | None = None
        self.token = secrets.token_hex(8)

    def check_length(self, length: int) -> None:
        """Refuse a mail whose announced length passes `max_bytes`."""
        if length > self._max_bytes:
            raise MessageTooLargeError(
                f"the mail is over {self._max_bytes} bytes of MIME; Mailroom "
                "leaves it in the mailbox and records it as quarantined"
            )

    async def feed(self, chunk: bytes) -> None:
        """Take the next chunk; spill to blob storage once past memory_bytes."""
        self._size += len(chunk)
        self.check_length(self._size)
        if self._upload is not None:
            await asyncio.to_thread(self._pass_on, [chunk])
            return

        self._head.append(chunk)
        if self._size > self._memory_bytes and self._blobs is not None:
            await self._start_upload(self._blobs)

    async def finish(self) -> tuple[bytes, str | None]:
        """Return the MIME (or its skeleton) and the original's blob, if any."""
        if self._spool is None or self._upload is None:
            return b"".join(self._head), None
        await asyncio.to_thread(self._send, None)
        await self._upload
        return self._spool.finish(), self._original

    async def abort(self, exc: BaseException) -> None:
        """Stop an upload under way; the half-written blob is never committed."""
        if self._upload is None:
            return
        try:
            await asyncio.to_thread(self._send, exc)
            await self._upload
        except BaseException:  # `exc` (or the upload's own failure): the caller
            return  # raises `exc`, which says why the mail was not taken in

    async def _start_upload(self, blobs: BlobStore) -> None:
        """Open the pipe, start the upload, and pass the head through both."""
        self._spool = MimeSpool(
            self.token, self._limits.max_bytes, self._limits.max_total_bytes
        )
        self._pipe = BlobPipe()
        self._upload = asyncio.ensure_future(
            asyncio.to_thread(
                blobs.upload, self._original, io.BufferedReader(self._pipe)
            )
        )
        head, self._head = self._head, []
        await asyncio.to_thread(self._pass_on, head)

    def _pass_on(self, chunks: list[bytes]) -> None:
        """Feed chunks to the skeleton and the upload (in a worker thread)."""
        assert self._spool is not None
        for chunk in chunks:
            self._spool.feed(chunk)
            self._send(chunk)

    def _send(self, item: bytes | BaseException | None) -> None:
        """Put an item in the pipe; fail if the upload stopped reading it."""
        assert self._pipe is not None and self._upload is not None
        while True:
            try:
                self._pipe.put(item, timeout=PIPE_WAIT)
                return
            except queue.Full:
                if self._upload.done():
                    raise self._upload.exception() or RetryableError(
                        "the upload of a large mail to blob storage stopped "
                        "early; the mail is fetched again on the next try"
                    ) from None


def original_name(mailbox: str, item_id: str) -> str:
    """Return the blob name of a large mail's original MIME."""
    digest = hashlib.sha256(f"{mailbox.lower()}\n{item_id}".encode()).hexdigest()
    return f"originals/{digest[:40]}.eml"
