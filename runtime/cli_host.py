"""The commands that run the local host: serve and demo.

Each holds the data folder while it runs, and stops the host alike on
Ctrl-C and on SIGTERM, which hosting platforms send.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from mailroom.config import Config
from runtime import wiring
from runtime.cli_console import PORT, console
from runtime.local_host import LocalHost
from runtime.session import SAMPLES, start_host


@click.command()
@click.option("--port", type=PORT, default=None, help="Port (default: public_url's).")
@click.pass_obj
def serve(config: Config, port: int | None) -> None:
    """Serve the Functions app, the queues, the timers and the ticket page."""
    stop_on_sigterm()
    hold_data(config)
    host = start_host(config, port)
    with stopped_at_end(host):
        host.run_timers()
        page = tracker_page(host)
        tickets = f" (tickets: {page})" if page else ""
        console.print(f"Mailroom is serving at {host.url}{tickets}")
        wait_forever()


@click.command()
@click.option("--once", is_flag=True, help="Exit after the summary.")
@click.option("--port", type=PORT, default=None, help="Port (default: public_url's).")
@click.option(
    "--samples",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=SAMPLES,
    show_default=False,
    help="Folder of .eml files to deliver (default: the bundled sample mailbox).",
)
@click.option("--timeout", type=float, default=300.0, help="Seconds to wait for idle.")
@click.pass_obj
def demo(
    config: Config, once: bool, port: int | None, samples: Path, timeout: float
) -> None:
    """Deliver the sample mailbox, wait until done, and show the tickets."""
    from runtime.demo import deliver_files, print_summary

    stop_on_sigterm()
    hold_data(config)
    host = start_host(config, port)
    host.run_timers()
    files = sorted(samples.glob("*.eml"))
    address = config.mailboxes[0].address
    deadline = time.monotonic() + timeout
    deliver_files(files, address, wiring.settings(), console, host, deadline)
    with console.status("waiting for the pipeline to finish"):
        idle = host.wait_idle(max(0.0, deadline - time.monotonic()))
    print_summary(wiring.services(), host, console)
    if not idle:
        console.print("the pipeline did not finish in time", style="red")
    if once:
        host.stop()
        sys.exit(0 if idle else 1)
    with stopped_at_end(host):
        page = tracker_page(host)
        console.print(
            f"Tickets: {page}  (Ctrl-C to stop)" if page else "Ctrl-C to stop"
        )
        wait_forever()


def stop_on_sigterm() -> None:
    """Stop on SIGTERM, what hosting platforms send, as on Ctrl-C."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def tracker_page(host: LocalHost) -> str | None:
    """Return the URL of the local tracker's page; None without one."""
    return f"{host.url}/tracker" if "/tracker" in host.pages else None


def hold_data(config: Config) -> None:
    """Hold the data folder until the command ends: one host per folder."""
    from runtime.data_lock import hold_data_folder

    folder = Path(config.runtime.data_dir)
    click.get_current_context().with_resource(hold_data_folder(folder))


@contextmanager
def stopped_at_end(host: LocalHost) -> Iterator[None]:
    """Stop `host` when the block ends; Ctrl-C or SIGTERM end it cleanly."""
    try:
        yield
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        host.stop()


def wait_forever() -> None:
    """Block until a signal ends the process or raises KeyboardInterrupt."""
    while True:
        time.sleep(3600)
