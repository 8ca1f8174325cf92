"""The key-value store in Azure Table storage.

All of Mailroom's tables share one Azure table: the partition key is the
table's name and the row key is the record's key, escaped, because Table
keys may not hold '/', '\\', '#', '?' or control characters and Mailroom's
keys (Message-IDs, addresses, Graph ids) may. The record is JSON in one
string property, split over several when it passes the service's 64 KiB
limit for one property.

Writes that read first (`get_versioned`, then `update_if_unchanged`) use
the entity's ETag, so two workers changing the same record cannot overwrite
each other's change unseen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, suppress
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)

from adapters.azure_storage import StorageAccount
from adapters.state.records import decode_record, encode_record
from mailroom.errors import PermanentError

if TYPE_CHECKING:
    from azure.data.tables import TableClient

TABLE = "mailroom"
ESCAPE = "~"
# Characters Table keys refuse, the escape character itself, and the C0
# and C1 control characters.
_UNSAFE = re.compile(r"[~/\\#?\x00-\x1f\x7f-\x9f]")
_ESCAPED = re.compile(r"~([0-9A-F]{2})")
MAX_KEY_CHARS = 512
# A string property holds 64 KiB, which is 32 Ki UTF-16 code units.
CHUNK_CHARS = 30_000
MAX_CHUNKS = 30


def escape_key(key: str) -> str:
    """Return `key` with every character Table storage refuses escaped as ~XX."""
    return _UNSAFE.sub(lambda m: f"{ESCAPE}{ord(m.group()):02X}", key)


def unescape_key(row_key: str) -> str:
    """Undo escape_key."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), row_key)


class TableStore:
    """Serve the KeyValueStore port from one Azure table.

    Error messages name the table, never the key: keys are often built from
    addresses and message ids.
    """

    def __init__(self, account: StorageAccount) -> None:
        self._account = account
        self._client = _table_client(account)
        with self._translate("create the state table"), suppress(ResourceExistsError):
            self._client.create_table()

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return the record, or None."""
        found = self.get_versioned(table, key)
        return None if found is None else found[0]

    def get_versioned(self, table: str, key: str) -> tuple[dict[str, Any], str] | None:
        """Return the record and its ETag, for update_if_unchanged."""
        with self._translate(f"read from table {table!r}"):
            try:
                entity = self._client.get_entity(table, self._row_key(table, key))
            except ResourceNotFoundError:
                return None
        return _value(entity, table), str(entity.metadata["etag"])

    def insert(self, table: str, key: str, value: dict[str, Any]) -> bool:
        """Store a new record; return False if the key exists already."""
        with self._translate(f"insert into table {table!r}"):
            try:
                self._client.create_entity(self._entity(table, key, value))
            except ResourceExistsError:
                return False
        return True

    def upsert(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Store a record, replacing any other under the same key."""
        from azure.data.tables import UpdateMode

        with self._translate(f"write to table {table!r}"):
            self._client.upsert_entity(
                self._entity(table, key, value), mode=UpdateMode.REPLACE
            )

    def update_if_unchanged(
        self, table: str, key: str, value: dict[str, Any], etag: str
    ) -> bool:
        """Replace a record read with `etag`; return False if it changed since."""
        from azure.data.tables import UpdateMode

        with self._translate(f"update table {table!r}"):
            try:
                self._client.update_entity(
                    self._entity(table, key, value),
                    mode=UpdateMode.REPLACE,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                )
            except (ResourceModifiedError, ResourceNotFoundError):
                return False
        return True

    def delete(self, table: str, key: str) -> None:
        """Remove a record; a missing one is not an error."""
        with (
            self._translate(f"delete from table {table!r}"),
            suppress(ResourceNotFoundError),
        ):
            self._client.delete_entity(table, self._row_key(table, key))

    def scan(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield every record of a table, in escaped-key order."""
        with self._translate(f"read table {table!r}"):
            entities = list(
                self._client.query_entities(
                    "PartitionKey eq @table", parameters={"table": table}
                )
            )
        for entity in entities:
            yield unescape_key(entity["RowKey"]), _value(entity, table)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _entity(self, table: str, key: str, value: dict[str, Any]) -> dict[str, Any]:
        """Build the entity of a record: keys and the JSON text in chunks."""
        text = encode_record(value, table)
        chunks = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
        if len(chunks) > MAX_CHUNKS:
            raise PermanentError(
                f"a record for table {table!r} is larger than Table storage holds "
                "in one entity; keep large data in blob storage"
            )

        entity: dict[str, Any] = {
            "PartitionKey": _partition(table),
            "RowKey": self._row_key(table, key),
        }
        for index, chunk in enumerate(chunks or [""]):
            entity[_property(index)] = chunk
        return entity

    def _row_key(self, table: str, key: str) -> str:
        escaped = escape_key(key)
        if len(escaped) > MAX_KEY_CHARS:
            raise PermanentError(
                f"a key for table {table!r} is longer than Table storage allows "
                f"({MAX_KEY_CHARS} characters once escaped); shorten or hash it"
            )
        return escaped

    def _translate(self, what: str) -> AbstractContextManager[None]:
        return self._account.translate("table", what)


def _partition(table: str) -> str:
    """Return the partition of a Mailroom table, refusing names Azure refuses."""
    if not table or _UNSAFE.search(table):
        raise PermanentError(
            f"the table name {table!r} cannot be a Table storage partition key; "
            "use letters, digits and '-'"
        )
    return table


def _property(index: int) -> str:
    return "value" if index == 0 else f"value{index}"


def _value(entity: dict[str, Any], table: str) -> dict[str, Any]:
    """Join an entity's chunks and decode the record."""
    parts: list[str] = []
    while _property(len(parts)) in entity:
        parts.append(str(entity[_property(len(parts))]))
    return decode_record("".join(parts), table)


def _table_client(account: StorageAccount) -> TableClient:
    """Open the state table, by connection string or identity."""
    from azure.data.tables import TableClient

    name = account.name(TABLE, separator="")
    connection = account.connection_string()
    if connection is not None:
        return TableClient.from_connection_string(
            connection, table_name=name, **account.options
        )
    return TableClient(
        account.endpoint("table"),
        table_name=name,
        credential=account.credential(),
        **account.options,
    )
