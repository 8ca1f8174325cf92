"""The commands that talk to the mail system: subscriptions and check.

They print with click alone: each line is one line, on a terminal or not.
"""

from __future__ import annotations

import sys

import click

from mailroom.config import Config
from mailroom.ports import MailGateway
from mailroom.subscriptions import Subscription
from runtime import wiring
from runtime.cli_data import require_data, uses_data_folder


def opened_mail(config: Config) -> MailGateway:
    """Return the configured mail gateway, closed when the command ends.

    The local mailbox is read from the data folder, which must exist: a
    command that only reads or deletes subscriptions creates none.
    """
    if config.mail.kind == "local":
        require_data(config)
    return close_at_end(wiring.mail_gateway(config))


def close_at_end(gateway: MailGateway) -> MailGateway:
    """Close `gateway` when the command ends, whether it failed or not.

    Graph's gateway holds HTTP sessions (the credential's among them);
    left open, they are reported at exit as unclosed.
    """
    close = getattr(gateway, "close", None)
    if callable(close):
        click.get_current_context().call_on_close(close)
    return gateway


@click.group()
def subscriptions() -> None:
    """List, create and renew, or delete the change subscriptions."""


@subscriptions.command("list")
@click.pass_obj
def subscriptions_list(config: Config) -> None:
    """Print each subscription: id, mailbox, folder, expiry."""
    for sub in opened_mail(config).list_subscriptions():
        expires = sub.expires_at.isoformat(timespec="minutes")
        click.echo(f"{sub.id}  {sub.mailbox}  {sub.folder}  expires {expires}")


@subscriptions.command("sync")
@click.pass_obj
def subscriptions_sync(config: Config) -> None:
    """Create missing, renew expiring and drop stale subscriptions now."""
    from handlers.subscriptions import renew_subscriptions

    if uses_data_folder(config):
        require_data(config)
    wiring.configure(config)
    services = wiring.services()
    gateway = close_at_end(services.mail)
    before = gateway.list_subscriptions()
    changes = renew_subscriptions(services)
    created, renewed, deleted = compare_subscriptions(
        before, gateway.list_subscriptions()
    )
    queues = wiring.local_queues(config)
    for change in changes:
        queues.send("mail-changes", change.model_dump_json())
    click.echo(
        f"created {created}, renewed {renewed}, deleted {deleted} "
        f"subscription(s); {len(changes)} change(s) queued for catch-up"
    )


def compare_subscriptions(
    before: list[Subscription], after: list[Subscription]
) -> tuple[int, int, int]:
    """Count the subscriptions created, renewed and deleted between two lists.

    A subscription the mail system lost while it was renewed is made anew:
    it counts as one deleted and one created.
    """
    old = {sub.id: sub.expires_at for sub in before}
    new = {sub.id: sub.expires_at for sub in after}
    created = len(new.keys() - old.keys())
    deleted = len(old.keys() - new.keys())
    renewed = sum(1 for id in new.keys() & old.keys() if new[id] != old[id])
    return created, renewed, deleted


@subscriptions.command("delete")
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Delete every subscription.")
@click.pass_obj
def subscriptions_delete(config: Config, ids: tuple[str, ...], every: bool) -> None:
    """Delete subscriptions by id, or all of them; exit 1 if one is unknown."""
    gateway = opened_mail(config)
    chosen = [s.id for s in gateway.list_subscriptions()] if every else list(ids)
    if not chosen:
        raise click.UsageError("give subscription ids, or --all")

    missing = 0
    for subscription_id in chosen:
        if gateway.delete_subscription(subscription_id):
            click.echo(f"deleted {subscription_id}")
        else:
            missing += 1
            click.echo(f"not found {subscription_id}")
    if missing:
        click.echo(
            f"{missing} of {len(chosen)} id(s) name no subscription; "
            "`mailroom subscriptions list` shows the ids there are",
            err=True,
        )
        sys.exit(1)


@click.command()
@click.pass_obj
def check(config: Config) -> None:
    """Probe sign-in, mailbox access and subscriptions; exit 1 on a failure."""
    gateway = close_at_end(wiring.mail_gateway(config))
    probe = getattr(gateway, "check", None)
    if probe is None:
        click.echo("the local mailbox needs no credentials: nothing to check")
        return
    results = probe([(box.address, box.folders) for box in config.mailboxes])
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        click.echo(f"{mark} {result.name} {result.detail}".rstrip())
    if not all(result.ok for result in results):
        sys.exit(1)
