"""Start the whole product on this machine: app, host, queues, pages."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from urllib.parse import urlsplit

import azure.functions as func

from handlers.claims import release_all
from mailroom.config import Config
from runtime import wiring
from runtime.local_host import LocalHost, Page, QueueSettings

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples" / "mailbox"

logger = logging.getLogger(__name__)


def start_host(config: Config, port: int | None = None) -> LocalHost:
    """Start the local host for `config` and return it running.

    The port comes from `runtime.public_url` unless given (0 picks a free
    one); the public URL is then set to the address actually bound, so
    subscriptions and ticket links point at this host.
    """
    if port is None:
        port = choose_port(config.runtime.public_url)
    Path(config.runtime.data_dir).mkdir(parents=True, exist_ok=True)

    app = load_app()
    host = LocalHost(
        app,
        wiring.local_queues(config),
        QueueSettings(REPO / "host.json"),
        port=port,
    )
    runtime = config.runtime.model_copy(update={"public_url": host.url})
    wiring.configure(config.model_copy(update={"runtime": runtime}))
    if config.storage.kind != "azure":
        # One host per data folder: a claim left in its state is a killed
        # run's, and would hold that work back until it ran out.
        released = release_all(wiring.services().store)
        logger.info("host.claims_released", extra={"claims": released})
    host.pages.update(tracker_pages())
    host.start()
    return host


def choose_port(public_url: str) -> int:
    """Return the port of `public_url`, or its scheme's when it names none."""
    address = urlsplit(public_url)
    if address.port is not None:
        return address.port
    return 443 if address.scheme == "https" else 80


def load_app() -> func.FunctionApp:
    """Import function_app.py and return its FunctionApp."""
    module = importlib.import_module("function_app")
    app: func.FunctionApp = module.app
    return app


def tracker_pages() -> dict[str, Page]:
    """Return the local tracker's web pages, mounted under /tracker."""
    from adapters.trackers.local import LocalTracker
    from adapters.trackers.local_web import handle_tracker_request

    trackers = [
        tracker
        for tracker in wiring.services().trackers.values()
        if isinstance(tracker, LocalTracker)
    ]
    if not trackers:
        return {}
    tracker = trackers[0]

    def page(path: str) -> tuple[int, str, bytes]:
        return handle_tracker_request(tracker, path)

    return {"/tracker": page}
