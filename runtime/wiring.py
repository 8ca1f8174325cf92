"""The one place that decides which adapter serves which port.

The configuration is read once per process: from the file named by
MAILROOM_CONFIG, else the embedded defaults (local mailbox, local tracker,
SQLite queues and state, a folder for blobs). Adapters are imported only
when the services are first built, so the webhook path stays light.
"""

from __future__ import annotations

import importlib
import inspect
import secrets
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mailroom.config import Config, LocalTrackerConfig, TrackerConfig
from runtime.config_source import (
    CONFIG_VARIABLE,
    DEFAULT_CONFIG,
    config_from_environment,
    load_config,
)

if TYPE_CHECKING:
    from adapters.mail.local import LocalMailbox
    from handlers.services import Services
    from mailroom.ports import BlobStore, KeyValueStore, MailGateway
    from runtime.local_host import HostQueues

__all__ = ["CONFIG_VARIABLE", "DEFAULT_CONFIG", "load_config"]

_override: Config | None = None
_ports: Services | None = None


def configure(config: Config, ports: Services | None = None) -> None:
    """Use `config` in this process instead of reading it (local host, tests).

    `ports`, when given, serve instead of the ones `config` names: a test's
    fakes behind the real FunctionApp.
    """
    global _override, _ports
    _override = config
    _ports = ports
    settings.cache_clear()
    services.cache_clear()
    webhook_blobs.cache_clear()


@cache
def settings() -> Config:
    """Return this process's configuration."""
    if _override is not None:
        return _override
    return config_from_environment()


def client_state_secret() -> str:
    """Return the secret that clientState values are checked against."""
    return settings().mail.client_state_secret.get_secret_value()


def data_dir(config: Config) -> Path:
    """Return the folder the embedded parts keep their data in."""
    return Path(config.runtime.data_dir)


@cache
def services() -> Services:
    """Return the ports of this process, built from its configuration."""
    if _ports is not None:
        return _ports
    return build_services(settings())


def build_services(config: Config) -> Services:
    """Build every port from a configuration."""
    from handlers.services import Services

    store, blobs = storage_ports(config)
    return Services(
        config=config,
        mail=mail_gateway(config, blobs),
        trackers=build_trackers(config),
        store=store,
        blobs=blobs,
        now=lambda: datetime.now(UTC),
        new_nonce=lambda: secrets.token_hex(12),
        queues=local_queues(config),
    )


def mail_gateway(config: Config, blobs: BlobStore | None = None) -> MailGateway:
    """Return the mail system that `mail.kind` names.

    Given `blobs`, Graph streams mail too large for memory into them.
    """
    if config.mail.kind == "graph" and config.mail.graph is not None:
        from adapters.mail.graph import GraphMailbox

        return GraphMailbox(
            config.mail.graph,
            config.runtime.public_url,
            blobs=blobs,
            limits=config.attachments,
        )
    return local_mailbox(config)


def local_mailbox(config: Config) -> LocalMailbox:
    """Return the local mailbox over the data folder."""
    from adapters.mail.local import LocalMailbox

    return LocalMailbox(data_dir(config) / "mailboxes")


def storage_ports(config: Config) -> tuple[KeyValueStore, BlobStore]:
    """Return the state and blob adapters that `storage` names."""
    if config.storage.kind == "azure":
        from adapters.azure_storage import StorageAccount
        from adapters.blobs.azure import AzureBlobs
        from adapters.state.table import TableStore

        account = StorageAccount(config.storage)
        return TableStore(account), AzureBlobs(account)

    from adapters.blobs.folder import FolderBlobs
    from adapters.state.sqlite import SqliteStore

    root = data_dir(config)
    return SqliteStore(root / "state.sqlite3"), FolderBlobs(root / "blobs")


def local_queues(config: Config) -> HostQueues:
    """Return the queues `storage` names: SQLite files, or Azure (Azurite)."""
    if config.storage.kind == "azure":
        from adapters.azure_storage import StorageAccount
        from adapters.queues.azure import AzureQueues

        return AzureQueues(StorageAccount(config.storage))

    from adapters.queues.sqlite import SqliteQueues

    return SqliteQueues(data_dir(config) / "queues.sqlite3")


# Each remote tool's adapter module offers build_tracker(name, section).
REMOTE_TRACKERS = {
    "jira": "adapters.trackers.jira",
    "servicenow": "adapters.trackers.servicenow",
    "azure_devops": "adapters.trackers.azure_devops",
    "ewm": "adapters.trackers.ewm",
}


def build_trackers(config: Config) -> dict[str, Tracker]:
    """Return one tracker adapter per configured tool."""
    return {
        name: build_tracker(name, section, config)
        for name, section in config.trackers.items()
    }


def build_tracker(name: str, section: TrackerConfig, config: Config) -> Tracker:
    """Return the adapter of one configured tool."""
    if isinstance(section, LocalTrackerConfig):
        return local_tracker(name, section, config)
    module = importlib.import_module(REMOTE_TRACKERS[section.kind])
    tracker: Tracker = module.build_tracker(name, section)
    return tracker


@cache
def webhook_blobs() -> BlobStore:
    """Return the blob store that keeps tool event bodies too large to queue."""
    if _ports is not None:
        return _ports.blobs
    return storage_ports(settings())[1]


def webhook_reader(tool: str) -> WebhookReader | None:
    """Return the function that reads and checks `tool`'s webhooks, if any."""
    config = settings()
    section = config.trackers.get(tool)
    if section is None or isinstance(section, LocalTrackerConfig):
        return None
    module = importlib.import_module(REMOTE_TRACKERS[section.kind])
    read = module.read_webhook

    accepts_clock = "now" in inspect.signature(read).parameters

    def reader(headers: dict[str, str], body: bytes) -> list[ToolEvent]:
        clock = {"now": datetime.now(UTC)} if accepts_clock else {}
        events: list[ToolEvent] = read(section, tool, headers, body, **clock)
        return events

    return reader


def local_tracker(
    name: str, section: LocalTrackerConfig, config: Config
) -> LocalTracker:
    """Return the embedded tracker over the data folder."""
    from adapters.trackers.local import LocalTracker

    root = data_dir(config)
    return LocalTracker(
        root / f"tracker-{name}.sqlite3",
        root / f"tracker-{name}-files",
        base_url=config.runtime.public_url,
        project=section.project,
        tool=name,
    )


def local_trackers(config: Config) -> dict[str, LocalTracker]:
    """Return the embedded trackers of a configuration, by name."""
    return {
        name: local_tracker(name, section, config)
        for name, section in config.trackers.items()
        if isinstance(section, LocalTrackerConfig)
    }


if TYPE_CHECKING:
    from adapters.trackers.local import LocalTracker
    from handlers.tool_webhooks import WebhookReader
    from mailroom.ports import Tracker
    from mailroom.tool_events import ToolEvent
