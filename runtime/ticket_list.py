"""The local trackers' tickets as `mailroom tickets` shows them.

A local tracker builds its URLs from `runtime.public_url`, while `serve
--port` and `demo --port` give out the address they bound. Each ticket is
shown with the URL its delivery recorded, the one its requester was sent,
and its files and links with that same address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.deliver import OPENING
from handlers.ledger import DeliveryRecord
from mailroom.config import Config
from mailroom.ports import KeyValueStore
from runtime import wiring

if TYPE_CHECKING:
    from adapters.trackers.local_views import TicketView

# A ticket's tool and key.
TicketName = tuple[str, str]


def list_local_tickets(
    config: Config, ledger: KeyValueStore
) -> dict[str, list[TicketView]]:
    """Return the tickets of each local tracker, with their recorded URLs."""
    urls = recorded_urls(ledger)
    # The address the trackers build their URLs on, as wiring gives it.
    built = config.runtime.public_url.rstrip("/")
    views: dict[str, list[TicketView]] = {}
    for name, tracker in wiring.local_trackers(config).items():
        views[name] = [
            with_recorded_urls(view, name, urls, built)
            for view in tracker.list_tickets()
        ]
    return views


def recorded_urls(ledger: KeyValueStore) -> dict[TicketName, str]:
    """Map each ticket to the URL the delivery that opened it recorded.

    A ticket whose opening is not recorded takes the URL of another of its
    deliveries (a comment), if the ledger has one.
    """
    opened: dict[TicketName, str] = {}
    other: dict[TicketName, str] = {}
    for _, value in ledger.scan("deliveries"):
        record = DeliveryRecord.model_validate(value)
        if record.ticket is None:
            continue
        found = opened if record.action in OPENING else other
        found[(record.ticket.tool, record.ticket.key)] = record.ticket.url
    return other | opened


def with_recorded_urls(
    view: TicketView, tool: str, urls: dict[TicketName, str], built: str
) -> TicketView:
    """Give a ticket, its files and its links the address it was sent with.

    `built` is the base address of the URLs the tracker made.
    """
    recorded = urls.get((tool, view.key))
    if recorded is None or recorded == view.url:
        return view

    path = view.url.removeprefix(built)
    if not view.url.startswith(built) or not recorded.endswith(path):
        return view.model_copy(update={"url": recorded})
    base = recorded.removesuffix(path)
    files = [
        file.model_copy(update={"url": rebased(file.url, built, base)})
        for file in view.attachments
    ]
    links = [
        link.model_copy(
            update={
                "url": urls.get((tool, link.other_key))
                or rebased(link.url, built, base)
            }
        )
        for link in view.links
    ]
    return view.model_copy(
        update={"url": recorded, "attachments": files, "links": links}
    )


def rebased(url: str, old_base: str, new_base: str) -> str:
    """Move a URL from one base address to another."""
    if not url.startswith(old_base):
        return url
    return new_base + url.removeprefix(old_base)
