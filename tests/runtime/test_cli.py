"""The `mailroom` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml
from click.testing import CliRunner

from mailroom.client_state import verify_client_state
from mailroom.models import TicketDraft
from mailroom.subscriptions import Subscription
from runtime import wiring
from runtime.cli import main
from runtime.session import SAMPLES
from tests.domain.cloud_link_samples import shared_forecast
from tests.runtime.config_files import config_file

REPO = Path(__file__).resolve().parents[2]
REPLY = SAMPLES / "03-reply-to-vpn-outlook-quote.eml"
OOF = SAMPLES / "07-out-of-office.eml"


def run(*args: str) -> dict[str, object] | list[object]:
    """Run the CLI and return its JSON output."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_explain_names_the_decisions_and_writes_nothing(tmp_path: Path) -> None:
    """An out-of-office is explained as a skip with its RFC 3834 reason."""
    config = config_file(tmp_path)
    report = run("--config", str(config), "explain", str(OOF), "--json")
    assert isinstance(report, dict)
    assert report["outcome"] == "skip"
    assert "Auto-Submitted" in report["classification"]["reason"]
    assert not (tmp_path / "data" / "state.sqlite3").exists()


def test_explain_lists_the_files_a_mail_links_to(tmp_path: Path) -> None:
    """A OneDrive file shared by link shows next to the attachments."""
    mail = tmp_path / "shared.eml"
    mail.write_bytes(shared_forecast())
    report = run("--config", str(config_file(tmp_path)), "explain", str(mail), "--json")
    assert isinstance(report, dict)
    [link] = report["mail"]["cloud_links"]
    assert (link["name"], link["provider"]) == ("Q3 forecast.xlsx", "OneDrive")


def test_explain_diff_shows_what_another_route_changes(tmp_path: Path) -> None:
    """A configuration without routes turns a new ticket into a skip."""
    current = config_file(tmp_path)
    routes = [
        {"name": "vip", "match": {"sender_domain": ["example.net"]}, "tools": ["local"]}
    ]
    changed = config_file(tmp_path, "changed", routes=routes)
    new_mail = SAMPLES / "01-vpn-outage-high-priority.eml"
    report = run(
        "--config",
        str(current),
        "explain",
        str(new_mail),
        "--json",
        "--diff",
        str(changed),
    )
    assert isinstance(report, list)
    assert report[0]["changes"]["outcome"] == {"before": "ticket", "after": "skip"}


def test_a_bad_configuration_names_the_key_and_hides_the_value(tmp_path: Path) -> None:
    """A wrong type is reported by key; a secret value never appears."""
    bad = config_file(tmp_path, mail={"client_state_secret": ["s3cr3t-value"]})
    result = CliRunner().invoke(main, ["--config", str(bad), "tickets"])
    assert result.exit_code != 0
    assert "mail.client_state_secret" in result.output
    assert "s3cr3t-value" not in result.output


def test_tickets_json_lists_the_local_trackers_tickets(tmp_path: Path) -> None:
    """`tickets --json` shows each ticket with its fields and thread."""
    config = config_file(tmp_path)
    tracker = wiring.local_trackers(wiring.load_config(config))["local"]
    draft = TicketDraft(correlation_id="c1", summary="VPN down", description="d")
    key = tracker.create_ticket(
        draft.model_copy(update={"fields": {"asset": "EX-1"}})
    ).key

    listing = run("--config", str(config), "tickets", "--json")
    assert isinstance(listing, dict)
    [ticket] = listing["local"]
    assert (ticket["key"], ticket["fields"]) == (key, {"asset": "EX-1"})


def test_replay_puts_poison_messages_back(tmp_path: Path) -> None:
    """`replay` moves every poison message back onto its queue."""
    config = config_file(tmp_path)
    queues = wiring.local_queues(wiring.load_config(config))
    queues.send("deliveries", '{"mail_key": "m-1"}')
    message = queues.receive("deliveries", 30, "test")
    assert message is not None
    queues.move_to_poison("deliveries", message.id, message.pop_token, "tool down")

    result = CliRunner().invoke(main, ["--config", str(config), "replay"])
    assert "deliveries: 1 message(s) back" in result.output
    assert queues.depth("deliveries") == 1


def test_invalid_yaml_is_located_without_quoting_the_line(tmp_path: Path) -> None:
    """A YAML error names line and column, never the text that may be a secret."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("mail:\n  client_state_secret: [ SUPERSECRET-abc123\n")
    result = CliRunner().invoke(main, ["--config", str(bad), "tickets"])
    assert result.exit_code != 0
    assert "not valid YAML at line" in result.output
    assert "SUPERSECRET" not in result.output


def test_a_bad_route_pattern_is_refused_at_start_up(tmp_path: Path) -> None:
    """A regular expression that cannot compile stops the start, named."""
    routes = [
        {"name": "broken", "match": {"subject": "([unclosed"}, "tools": ["local"]}
    ]
    result = CliRunner().invoke(
        main, ["--config", str(config_file(tmp_path, routes=routes)), "tickets"]
    )
    assert result.exit_code != 0
    assert (
        "routes[0] ('broken').match.subject is not a valid regular expression"
        in result.output
    )


def test_a_route_to_an_unknown_tool_names_its_key(tmp_path: Path) -> None:
    """The error points at the route's tools, by index and name."""
    routes = [{"name": "all", "tools": ["jira"]}]
    result = CliRunner().invoke(
        main, ["--config", str(config_file(tmp_path, routes=routes)), "tickets"]
    )
    assert "routes[0] ('all').tools: names 'jira', which is not under" in result.output
    assert "Value error" not in result.output


def test_reading_commands_need_a_data_folder_and_create_none(tmp_path: Path) -> None:
    """`tickets` in a fresh folder says what to do and writes nothing."""
    config = config_file(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(config), "tickets"])
    assert result.exit_code != 0
    assert "there is no data folder" in result.output
    assert not (tmp_path / "data").exists()


def test_client_state_prints_a_value_the_endpoint_accepts(tmp_path: Path) -> None:
    """A printed clientState verifies under the configured secret."""
    config = config_file(tmp_path)
    result = CliRunner().invoke(main, ["--config", str(config), "client-state"])
    secret = wiring.load_config(config).mail.client_state_secret.get_secret_value()
    assert verify_client_state(secret, result.output.strip())


def test_a_port_out_of_range_is_refused_plainly(tmp_path: Path) -> None:
    """--port 99999 is a usage error, not a traceback."""
    config = config_file(tmp_path)
    result = CliRunner().invoke(
        main, ["--config", str(config), "serve", "--port", "99999"]
    )
    assert result.exit_code == 2
    assert "99999 is not in the range" in result.output


def test_subscriptions_sync_then_list_on_the_local_mailbox(tmp_path: Path) -> None:
    """`subscriptions sync` creates one per watched folder; `list` shows them."""
    from runtime.local_host import LocalHost
    from runtime.session import start_host

    config = wiring.load_config(config_file(tmp_path))
    host: LocalHost = start_host(config, port=0)
    try:
        path = tmp_path / "live.yaml"
        data = yaml.safe_load(wiring.DEFAULT_CONFIG.read_text())
        data["runtime"] = {"data_dir": str(tmp_path / "data"), "public_url": host.url}
        path.write_text(yaml.safe_dump(data))
        sync = ["--config", str(path), "subscriptions", "sync"]
        first = CliRunner().invoke(main, sync).output
        again = CliRunner().invoke(main, sync).output
        listing = CliRunner().invoke(
            main, ["--config", str(path), "subscriptions", "list"]
        )
    finally:
        host.stop()
        wiring.configure(wiring.load_config())
    done = "subscription(s); 0 change(s) queued for catch-up\n"
    assert first == f"created 2, renewed 0, deleted 0 {done}"
    assert again == f"created 0, renewed 0, deleted 0 {done}"
    lines = listing.output.splitlines()
    assert len(lines) == 2
    assert all(" expires 20" in line for line in lines), lines


def test_sync_counts_what_changed_between_two_listings() -> None:
    """A renewed expiry counts as renewed; a lost subscription as deleted."""
    from runtime.cli_mail import compare_subscriptions

    def sub(id: str, day: int) -> Subscription:
        expires = datetime(2026, 12, day, tzinfo=UTC)
        return Subscription(
            id=id,
            mailbox="helpdesk@example.org",
            folder="Inbox",
            resource="r",
            notification_url="u",
            expires_at=expires,
        )

    before = [sub("kept", 5), sub("renewed", 5), sub("lost", 5)]
    after = [sub("kept", 5), sub("renewed", 8), sub("new", 8)]

    assert compare_subscriptions(before, after) == (1, 1, 1)


def test_check_on_the_local_mailbox_has_nothing_to_probe(tmp_path: Path) -> None:
    """`check` says plainly that the local mailbox needs no credentials."""
    result = CliRunner().invoke(main, ["--config", str(config_file(tmp_path)), "check"])
    assert result.exit_code == 0
    assert "nothing to check" in result.output


def test_a_broken_app_setting_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    """Broken JSON in MAILROOM__trackers exits 1 naming the setting."""
    result = CliRunner().invoke(
        main,
        ["--config", str(config_file(tmp_path)), "tickets"],
        env={"MAILROOM__trackers": "{bad"},
    )
    assert result.exit_code == 1
    assert "MAILROOM__trackers is not valid JSON" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_cli_applies_app_settings_over_its_config(tmp_path: Path) -> None:
    """MAILROOM__runtime__data_dir wins over the --config file's value."""
    elsewhere = tmp_path / "elsewhere"
    result = CliRunner().invoke(
        main,
        ["--config", str(config_file(tmp_path)), "tickets"],
        env={"MAILROOM__runtime__data_dir": str(elsewhere)},
    )
    assert f"there is no data folder at {elsewhere}" in result.output


def test_tickets_says_when_the_local_tracker_is_empty(tmp_path: Path) -> None:
    """An empty local tracker is named, with what makes tickets, not silence."""
    config = config_file(tmp_path)
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(main, ["--config", str(config), "tickets"])
    assert result.exit_code == 0
    assert result.output.startswith("local: no tickets yet (a running `serve`")


def test_tickets_without_a_local_tracker_names_the_tools(tmp_path: Path) -> None:
    """With Jira only, `tickets` says where the tickets are instead."""
    jira = {
        "kind": "jira",
        "base_url": "https://jira.example.org",
        "project": "HELP",
        "email": "agent@example.org",
        "api_token": "token",
    }
    routes = [{"name": "all", "tools": ["jira"]}]
    config = config_file(tmp_path, trackers={"jira": jira}, routes=routes)
    (tmp_path / "data").mkdir()
    result = CliRunner().invoke(main, ["--config", str(config), "tickets"])
    assert result.exit_code == 0
    assert "no local tracker" in result.output and "(jira)" in result.output


def test_deliver_prints_one_line_with_no_blank_before_it(tmp_path: Path) -> None:
    """Off a terminal the progress bar is not drawn, so no blank line is left."""
    config = config_file(tmp_path)
    args = ["--config", str(config), "deliver", "--to", "helpdesk@example.org"]
    result = CliRunner().invoke(main, [*args, str(REPLY), str(OOF)])
    assert result.exit_code == 0, result.output
    assert result.output == "delivered 2 mail(s) to the local mailbox\n"


LONG_ADDRESS = "somebody.with.a.rather.long.name@support.example.org"


def test_deliver_refuses_a_malformed_address_before_anything_else(
    tmp_path: Path,
) -> None:
    """`--to 'not an address'` is one usage error; nothing is warned or made."""
    config = config_file(tmp_path)
    args = ["--config", str(config), "deliver", "--to", "not an address", str(OOF)]

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 2
    assert "'not an address' is not a plain mail address" in result.output
    assert "watched" not in result.output
    assert not (tmp_path / "data" / "mailboxes").exists()


def test_a_long_line_stays_one_line_off_a_terminal(tmp_path: Path) -> None:
    """The warning for an unwatched mailbox is not wrapped at 80 columns."""
    config = config_file(tmp_path)
    args = ["--config", str(config), "deliver", "--to", LONG_ADDRESS, str(OOF)]

    result = CliRunner().invoke(main, args, env={"COLUMNS": None})

    assert result.exit_code == 0, result.output
    warning = result.output.splitlines()[0]
    assert warning.startswith(LONG_ADDRESS) and warning.endswith("this mail")
    assert len(warning) > 80


def test_piped_output_keeps_each_line_whole(tmp_path: Path) -> None:
    """Through a pipe, as `| grep` reads it, every printed line is whole."""
    config = config_file(tmp_path)
    command = [sys.executable, "-m", "runtime.cli", "--config", str(config)]
    own = {k: v for k, v in os.environ.items() if not k.startswith("MAILROOM")}
    own.pop("COLUMNS", None)

    result = subprocess.run(
        [*command, "deliver", "--to", LONG_ADDRESS, str(OOF)],
        cwd=REPO,
        env=own,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{LONG_ADDRESS} is not a watched mailbox in this configuration; "
        "Mailroom will not process this mail",
        "delivered 1 mail(s) to the local mailbox",
    ]


def test_a_subject_in_brackets_is_printed_as_it_is(tmp_path: Path) -> None:
    """`tickets` shows `[b]` and `[/]` in a summary, not as markup or a crash."""
    config = config_file(tmp_path)
    tracker = wiring.local_trackers(wiring.load_config(config))["local"]
    summary = "[SUP-42] [b]bold[/b] and [/] brackets"
    tracker.create_ticket(
        TicketDraft(correlation_id="c1", summary=summary, description="d")
    )

    result = CliRunner().invoke(main, ["--config", str(config), "tickets"])

    assert result.exit_code == 0, result.output
    assert summary in result.output


def test_the_demo_summary_keeps_each_skip_on_one_line(tmp_path: Path) -> None:
    """A bounce's reason, longer than 80 columns, is one line of the summary."""
    samples = tmp_path / "samples"
    samples.mkdir()
    bounce = SAMPLES / "08-bounce-unknown-recipient.eml"
    (samples / bounce.name).write_bytes(bounce.read_bytes())
    config = config_file(tmp_path)
    args = ["demo", "--once", "--port", "0", "--samples", str(samples)]

    try:
        result = CliRunner().invoke(main, ["--config", str(config), *args])
    finally:
        wiring.configure(wiring.load_config())

    assert result.exit_code == 0, result.output
    [skip] = [line for line in result.output.splitlines() if "bounce" in line]
    assert skip.startswith("skipped bounce: ") and skip.endswith("(RFC 3464)")
