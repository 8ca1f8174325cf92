"""A dry run of every decision Mailroom takes about one mail."""

from __future__ import annotations

from typing import Any

from adapters.state.memory import MemoryStore
from handlers.ingest import mail_key
from handlers.ledger import Ledger, original_blob
from handlers.threading_context import load_thread_context
from mailroom.acknowledgement import ack_message_id, render_acknowledgement
from mailroom.classify import classify
from mailroom.config import Config
from mailroom.fields import extract_fields
from mailroom.mailcheck import unreadable_reason
from mailroom.mime import parse_mail
from mailroom.models import TicketRef
from mailroom.routing import choose_route
from mailroom.threads import decide_thread
from mailroom.tickets import draft_comment, ticket_summary
from runtime import wiring


def explain_mail(raw: bytes, config: Config, mailbox: str | None) -> dict[str, Any]:
    """Return what Mailroom would decide for `raw`, and why; write nothing."""
    box = mailbox or config.mailboxes[0].address
    parsed = parse_mail(raw)
    mail = parsed.mail
    key = mail_key(box, mail, None, raw, config)

    ledger = read_only_ledger(config)
    known = ledger.mail(key) if ledger else None
    watched = [entry.address for entry in config.mailboxes]
    runtime = config.runtime
    kind = classify(
        mail, box, watched, runtime.marker_header, runtime.message_id_domain
    )
    context = load_thread_context(mail, config, ledger or Ledger(MemoryStore()))
    thread = decide_thread(mail, kind, context, config.threading)
    route = choose_route(mail, box, config.routes)
    fields = extract_fields(mail, config.fields)

    report: dict[str, Any] = {
        "dedupe_key": key,
        "seen_before": known is not None,
        "mail": {
            "message_id": mail.message_id,
            "subject": mail.subject,
            "from": mail.sender.model_dump() if mail.sender else None,
            "importance": mail.importance,
            "attachments": [a.model_dump() for a in mail.attachments],
            "cloud_links": [link.model_dump() for link in mail.cloud_links],
            "defects": mail.defects,
        },
        "classification": kind.model_dump(),
        "thread": thread.model_dump(),
        "route": route.model_dump() if thread.action in ("new", "linked_new") else None,
        "fields": fields.model_dump(),
    }
    unreadable = unreadable_reason(mail, raw)
    if unreadable is not None:
        unread = {"kind": "unreadable", "reason": unreadable, "acknowledge": False}
        return report | {
            "classification": unread,
            "route": None,
            "fields": {"values": {}, "problems": []},
            "outcome": "skip",
            "reason": unreadable,
            "acknowledgement": None,
        }
    if known is not None:
        reason = f"this mail was seen before ({known.status}); nothing would happen"
        return report | {"outcome": "duplicate", "reason": reason}
    report |= outcome(mail, kind.acknowledge, thread.action, route.tools, key, config)
    return report


def outcome(
    mail: Any,
    acknowledge: bool,
    action: str,
    tools: list[str],
    key: str,
    config: Config,
) -> dict[str, Any]:
    """Describe the ticket, comment or skip, and the acknowledgement."""
    if action == "comment":
        comment = draft_comment(mail, key, public=True, outgoing=False)
        return {"outcome": "comment", "comment": comment.body, "acknowledgement": None}
    if action == "skip" or (action == "new" and not tools):
        return {"outcome": "skip", "acknowledgement": None}

    summary = ticket_summary(mail.subject)
    result: dict[str, Any] = {"outcome": "ticket", "summary": summary}
    if not acknowledge or not config.acknowledgement.enabled:
        return result | {"acknowledgement": None}

    placeholders = [
        TicketRef(tool=tool, key=f"({tool} key)", url="(ticket URL)")
        for tool in tools or list(config.trackers)[:1]
    ]
    runtime = config.runtime
    message_id = ack_message_id(key, runtime.message_id_domain)
    ack = render_acknowledgement(
        mail,
        placeholders,
        [],
        config.acknowledgement,
        message_id,
        runtime.marker_header,
        key,
    )
    return result | {"acknowledgement": ack.model_dump()}


def read_only_ledger(config: Config) -> Ledger | None:
    """Open the ledger of the data folder if one exists; never create one."""
    path = wiring.data_dir(config) / "state.sqlite3"
    if not path.exists():
        return None
    from adapters.state.sqlite import SqliteStore

    return Ledger(SqliteStore(path))


COMPARED = ("outcome", "classification", "thread", "route", "fields")


def diff_configs(
    raws: dict[str, bytes], current: Config, changed: Config, mailbox: str | None
) -> list[dict[str, Any]]:
    """Return, per stored mail, the decisions a changed configuration alters."""
    differences: list[dict[str, Any]] = []
    for name, raw in raws.items():
        before = explain_mail(raw, current, mailbox)
        after = explain_mail(raw, changed, mailbox)
        changes = {
            part: {"before": before[part], "after": after[part]}
            for part in COMPARED
            if before.get(part) != after.get(part)
        }
        if changes:
            differences.append({"mail": name, "changes": changes})
    return differences


def stored_mail(config: Config) -> dict[str, bytes]:
    """Return the original of every mail the ledger holds, by dedupe key."""
    ledger = read_only_ledger(config)
    if ledger is None:
        return {}
    from adapters.blobs.folder import FolderBlobs

    blobs = FolderBlobs(wiring.data_dir(config) / "blobs")
    found: dict[str, bytes] = {}
    for record in ledger.mails():
        name = original_blob(record)
        if blobs.exists(name):
            found[record.key] = blobs.get(name)
    return found
