"""AzureBlobs against Azurite: the BlobStore port, streamed."""

from __future__ import annotations

import io
import os
import threading

import pytest

from adapters.azure_storage import StorageAccount
from adapters.blobs.azure import BLOCK_BYTES, AzureBlobs
from adapters.mail.graph_intake import BlobPipe
from mailroom.errors import BlobNotFoundError, PermanentError

pytestmark = pytest.mark.slow


@pytest.fixture
def blobs(account: StorageAccount) -> AzureBlobs:
    """Return blobs in this test's own container."""
    return AzureBlobs(account)


def test_put_replaces_and_get_returns_the_bytes(blobs: AzureBlobs) -> None:
    """The last write wins."""
    blobs.put("mail/k.json", b"{}")
    blobs.put("mail/k.json", b'{"v": 2}')

    assert blobs.get("mail/k.json") == b'{"v": 2}'
    assert blobs.exists("mail/k.json")


def test_a_missing_blob_is_reported_as_such(blobs: AzureBlobs) -> None:
    """get raises BlobNotFoundError; exists says no."""
    with pytest.raises(BlobNotFoundError, match="files/nothing"):
        blobs.get("files/nothing")

    assert not blobs.exists("files/nothing")


def test_large_files_stream_up_in_blocks_and_down_in_chunks(
    blobs: AzureBlobs,
) -> None:
    """A file of several blocks uploads from a stream and reads back whole."""
    data = os.urandom(2 * BLOCK_BYTES + 123)

    blobs.upload("files/big", io.BytesIO(data), len(data))

    assert b"".join(blobs.chunks("files/big")) == data


def test_a_stream_of_unknown_length_uploads_from_a_pipe(blobs: AzureBlobs) -> None:
    """A large mail streamed from Graph: no length, chunks from another thread."""
    data = os.urandom(2 * BLOCK_BYTES + 4567)
    pipe = BlobPipe()

    def produce() -> None:
        for start in range(0, len(data), 65536):
            pipe.put(data[start : start + 65536], timeout=30)
        pipe.put(None, timeout=30)

    producer = threading.Thread(target=produce)
    producer.start()
    blobs.upload("originals/big.eml", io.BufferedReader(pipe))
    producer.join()

    assert blobs.get("originals/big.eml") == data


def test_a_pipe_that_fails_commits_no_blob(blobs: AzureBlobs) -> None:
    """Blocks already staged are never committed when the stream fails."""
    pipe = BlobPipe()
    for chunk in (os.urandom(BLOCK_BYTES), os.urandom(BLOCK_BYTES)):
        pipe.put(chunk, timeout=1)
    pipe.put(OSError("connection reset"), timeout=1)

    with pytest.raises(OSError, match="connection reset"):
        blobs.upload("originals/broken.eml", io.BufferedReader(pipe))

    assert not blobs.exists("originals/broken.eml")


def test_names_that_could_escape_are_refused(blobs: AzureBlobs) -> None:
    """The same names are refused as by the folder store."""
    with pytest.raises(PermanentError, match="not allowed"):
        blobs.put("../outside", b"x")
