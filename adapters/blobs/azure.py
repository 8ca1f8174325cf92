"""The blob store in Azure Blob storage: mail bodies and attachments.

Every blob lives in one container. Uploads stream in blocks, so a large
attachment never needs a second copy in memory, and a reader sees the old
blob or the new one, never a mix: a block blob changes only when its block
list is committed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from typing import IO, TYPE_CHECKING

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from adapters.azure_storage import StorageAccount
from adapters.blobs.folder import check_blob_name
from mailroom.errors import BlobNotFoundError

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

CONTAINER = "mailroom"
# Larger uploads go in blocks of this size, several at once.
BLOCK_BYTES = 4 * 1024 * 1024
UPLOAD_CONCURRENCY = 2


class AzureBlobs:
    """Serve the BlobStore port from one blob container."""

    def __init__(self, account: StorageAccount) -> None:
        self._account = account
        self._container = _container_client(account)
        creating = self._translate("create the blob container")
        with creating, suppress(ResourceExistsError):
            self._container.create_container()

    def put(self, name: str, data: bytes) -> None:
        """Store `data` under `name`, replacing what was there."""
        self.upload(name, io.BytesIO(data), len(data))

    def upload(self, name: str, stream: IO[bytes], length: int | None = None) -> None:
        """Store what `stream` holds under `name`, reading it block by block."""
        check_blob_name(name)
        with self._translate(f"store blob {name!r}"):
            self._container.upload_blob(
                name,
                stream,
                length=length,
                overwrite=True,
                max_concurrency=UPLOAD_CONCURRENCY,
            )

    def get(self, name: str) -> bytes:
        """Return the bytes under `name`; raise BlobNotFoundError."""
        return b"".join(self.chunks(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        """Yield the bytes under `name` piece by piece; raise BlobNotFoundError."""
        check_blob_name(name)
        with self._translate(f"read blob {name!r}"):
            try:
                download = self._container.download_blob(name)
            except ResourceNotFoundError as exc:
                raise BlobNotFoundError(
                    f"no blob is stored under {name!r}; it may never have been "
                    "written or the container was cleared"
                ) from exc
            yield from download.chunks()

    def exists(self, name: str) -> bool:
        """Tell whether `name` is stored."""
        check_blob_name(name)
        with self._translate(f"look for blob {name!r}"):
            return bool(self._container.get_blob_client(name).exists())

    def close(self) -> None:
        """Close the HTTP connections."""
        self._container.close()

    def _translate(self, what: str) -> AbstractContextManager[None]:
        return self._account.translate("blob", what)


def _container_client(account: StorageAccount) -> ContainerClient:
    """Open the container, by connection string or identity."""
    from azure.storage.blob import ContainerClient

    name = account.name(CONTAINER)
    options = {
        **account.options,
        "max_block_size": BLOCK_BYTES,
        "max_single_put_size": BLOCK_BYTES,
    }
    connection = account.connection_string()
    if connection is not None:
        return ContainerClient.from_connection_string(
            connection, container_name=name, **options
        )
    return ContainerClient(
        account.endpoint("blob"),
        container_name=name,
        credential=account.credential(),
        **options,
    )
