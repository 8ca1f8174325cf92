"""Ports for a dry run: a ledger that cannot be written, services without ports.

A decision that reached for a port would be acting, not deciding; each
stand-in stops it with an error that says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NoReturn, cast

from handlers.services import Services
from mailroom.config import Config
from mailroom.ports import KeyValueStore


class ReadOnlyView:
    """A key-value store read as if one mail had not arrived; never written.

    The mail's records are those keyed by its dedupe key and those that
    point at it (`mail_key`): its item, its thread rows, its tickets.
    """

    def __init__(self, store: KeyValueStore, hidden: Iterable[str | None]) -> None:
        self._store = store
        self._hidden = {key for key in hidden if key}

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """Return the record, or None when missing or hidden."""
        value = self._store.get(table, key)
        return None if value is None or self._owned(key, value) else value

    def scan(self, table: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield every record of a table that is not hidden."""
        for key, value in self._store.scan(table):
            if not self._owned(key, value):
                yield key, value

    def insert(self, table: str, key: str, value: dict[str, Any]) -> bool:
        """Refuse: a dry run writes nothing."""
        refuse(f"insert into {table}")

    def upsert(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Refuse: a dry run writes nothing."""
        refuse(f"upsert into {table}")

    def delete(self, table: str, key: str) -> None:
        """Refuse: a dry run writes nothing."""
        refuse(f"delete from {table}")

    def _owned(self, key: str, value: dict[str, Any]) -> bool:
        """Tell whether a record is the hidden mail's own.

        Its outcome and acknowledgement are keyed by its dedupe key, its
        deliveries by the key and a tool; other rows name it as `mail_key`.
        """
        owner = key.split("|", 1)[0]
        return owner in self._hidden or value.get("mail_key") in self._hidden


class NoPort:
    """Stand in for every port a decision must not touch."""

    def __getattr__(self, name: str) -> NoReturn:
        refuse(name)


def refuse(action: str) -> NoReturn:
    """Stop a dry run that was about to act."""
    raise RuntimeError(f"explain must not {action}; a decision reached a port")


def dry_services(config: Config, at: datetime) -> Services:
    """Return services with the configuration and a fixed clock, and no ports."""
    port = cast(Any, NoPort())
    return Services(
        config=config,
        mail=port,
        trackers={},
        store=port,
        blobs=port,
        now=lambda: at,
        new_nonce=lambda: refuse("make a nonce"),
    )
