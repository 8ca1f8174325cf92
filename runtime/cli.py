"""The `mailroom` command: run, feed and inspect Mailroom on this machine."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from mailroom.config import Config
from mailroom.errors import ConfigurationError, MailroomError
from mailroom.ports import KeyValueStore
from runtime import wiring
from runtime.cli_console import console
from runtime.cli_data import require_data
from runtime.cli_host import demo, serve
from runtime.cli_mail import check, subscriptions
from runtime.logs import configure_command_logging, configure_logging
from runtime.queue_report import QUEUES

RUNS_PIPELINE = {"serve", "demo", "deliver"}

# Named, not __name__: run as `python -m runtime.cli` it would be __main__,
# which is not one of the packages whose warnings a command prints.
logger = logging.getLogger("runtime.cli")


class Commands(click.Group):
    """Turn Mailroom's own errors into one-line messages, not tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; report a MailroomError or OSError plainly."""
        try:
            return super().invoke(ctx)
        except MailroomError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(describe_os_error(exc)) from None


def describe_os_error(exc: OSError) -> str:
    """Say what went wrong with the machine, and what to do."""
    if exc.errno == 98:
        return "the port is already in use; stop the other server or pass --port"
    return f"{exc.strerror or exc}; check the path and its permissions"


def read_config(path: Path | None) -> Config:
    """Load the configuration or exit with its problems."""
    try:
        return wiring.load_config(path, os.environ)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=Commands)
@click.version_option(package_name="mailroom")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar=wiring.CONFIG_VARIABLE,
    help="YAML configuration (default: the embedded local setup).",
)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Turn mail into tickets: run and inspect Mailroom on this machine."""
    config = read_config(config_path)
    ctx.obj = config
    # Off a terminal a line stays one line, whatever its length, for grep.
    console.soft_wrap = not console.is_terminal
    if ctx.invoked_subcommand in RUNS_PIPELINE:
        configure_logging(Path(config.runtime.data_dir) / "mailroom.log")
    else:
        configure_command_logging(sys.stderr)


def plain_address(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    """Refuse an address the local mailbox cannot keep a folder for."""
    from adapters.mail.local_store import is_plain_address

    if value is not None and not is_plain_address(value):
        raise click.BadParameter(
            f"{value!r} is not a plain mail address; give one as name@domain, "
            "such as helpdesk@example.org"
        )
    return value


def unwatched_warning(config: Config, address: str) -> str | None:
    """Return a warning when `address` is no mailbox the configuration watches."""
    watched = {box.address.lower() for box in config.mailboxes}
    if address.lower() in watched:
        return None
    return (
        f"{address} is not a watched mailbox in this configuration; "
        "Mailroom will not process this mail"
    )


@main.command()
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--to",
    "address",
    required=True,
    callback=plain_address,
    help="Mailbox the mail arrives in (name@domain).",
)
@click.pass_obj
def deliver(config: Config, files: tuple[Path, ...], address: str) -> None:
    """Deliver .eml files to a local mailbox (a running `serve` picks them up)."""
    from runtime.demo import deliver_files

    warning = unwatched_warning(config, address)
    if warning:
        console.print(warning, style="yellow")
    deliver_files(sorted(files), address, config, console, None)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def tickets(config: Config, as_json: bool) -> None:
    """List the local tracker's tickets with comments, files, links, events."""
    from runtime.ticket_list import list_local_tickets

    require_data(config)
    listed = list_local_tickets(config, ledger_for_reading(config))
    views = {
        name: [view.model_dump(mode="json") for view in found]
        for name, found in listed.items()
    }
    if as_json:
        click.echo(json.dumps(views, indent=2, ensure_ascii=False))
        return
    if not views:
        tools = ", ".join(sorted(config.trackers)) or "none"
        console.print(
            "this configuration has no local tracker, so there is nothing to "
            f"list here; its tickets are in the tools it names ({tools})"
        )
    for name, items in views.items():
        if not items:
            console.print(
                f"{name}: no tickets yet (a running `serve` or `demo` makes them "
                "from delivered mail)"
            )
        for item in items:
            console.print(f"{name}  {item['key']}  {item['summary']}")


@main.command()
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--mailbox",
    default=None,
    callback=plain_address,
    help="Mailbox it arrived in (name@domain).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--diff",
    "other",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Show what this other configuration would decide differently "
    "(on FILE, or on every stored mail when FILE is left out).",
)
@click.pass_obj
def explain(
    config: Config,
    file: Path | None,
    mailbox: str | None,
    as_json: bool,
    other: Path | None,
) -> None:
    """Show what Mailroom would do with a mail, and why; writes nothing."""
    from runtime.explain import explain_mail
    from runtime.explain_diff import diff_file, diff_stored
    from runtime.explain_text import diff_lines, text_lines

    # A JSON line on stderr, as every command's warnings: --json stays JSON.
    warning = unwatched_warning(config, mailbox) if mailbox else None
    if warning:
        logger.warning(
            "explain.mailbox_unwatched", extra={"mailbox": mailbox, "detail": warning}
        )
    report: Any
    if other is not None:
        changed = read_config(other)
        if file is None:
            report = diff_stored(config, changed)
        else:
            raw = file.read_bytes()
            report = diff_file(raw, file.name, config, changed, mailbox)
        lines = diff_lines(report)
    elif file is not None:
        report = explain_mail(file.read_bytes(), config, mailbox)
        lines = text_lines(report)
    else:
        raise click.UsageError("give a FILE to explain, or --diff CONFIG")
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        return
    click.echo("\n".join(lines))


@main.command()
@click.option(
    "--queue",
    "names",
    multiple=True,
    type=click.Choice(QUEUES),
    help="Queue (default: all).",
)
@click.pass_obj
def replay(config: Config, names: tuple[str, ...]) -> None:
    """Put poison messages back on their queues once the cause is fixed."""
    if config.storage.kind != "azure":
        require_data(config)
    queues = wiring.local_queues(config)
    for name in names or QUEUES:
        moved = queues.move_poison(name)
        console.print(f"{name}: {moved} message(s) back on the queue")


@main.command()
@click.option("--poison", is_flag=True, help="List each poison message and why.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def queues(config: Config, poison: bool, as_json: bool) -> None:
    """Count each queue's messages and poison messages; --poison says why."""
    from runtime.queue_report import (
        depth_lines,
        poison_details,
        poison_lines,
        queue_depths,
    )

    if config.storage.kind != "azure":
        require_data(config)
    opened = wiring.local_queues(config)
    click.get_current_context().call_on_close(opened.close)
    report: dict[str, Any] = {"queues": queue_depths(opened)}
    lines = depth_lines(report["queues"])
    if poison:
        report["poison"] = poison_details(opened, ledger_for_reading(config))
        lines += ["", *poison_lines(report["poison"])]
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo("\n".join(lines))


def ledger_for_reading(config: Config) -> KeyValueStore:
    """Open the ledger that `storage` names; a missing SQLite one is empty."""
    ledger = wiring.data_dir(config) / "state.sqlite3"
    if config.storage.kind != "azure" and not ledger.exists():
        from adapters.state.memory import MemoryStore

        return MemoryStore()
    store, _ = wiring.storage_ports(config)
    return store


@main.command("client-state")
@click.pass_obj
def client_state(config: Config) -> None:
    """Print a clientState the notification endpoint accepts (for testing)."""
    from secrets import token_hex

    from mailroom.client_state import issue_client_state

    secret = config.mail.client_state_secret.get_secret_value()
    click.echo(issue_client_state(secret, token_hex(8)))


main.add_command(serve)
main.add_command(demo)
main.add_command(subscriptions)
main.add_command(check)


if __name__ == "__main__":
    main()
