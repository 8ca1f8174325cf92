"""Mailroom's configuration: one frozen, typed object read at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
)

from mailroom.config_graph import GraphConfig as GraphConfig
from mailroom.config_graph import decode_certificate as decode_certificate
from mailroom.config_problems import (
    Problem,
    collect_problems,
    describe_problems,
    describe_yaml,
)
from mailroom.config_section import Section as Section
from mailroom.config_trackers import AzureDevOpsConfig as AzureDevOpsConfig
from mailroom.config_trackers import EwmConfig as EwmConfig
from mailroom.config_trackers import JiraConfig as JiraConfig
from mailroom.config_trackers import LocalTrackerConfig as LocalTrackerConfig
from mailroom.config_trackers import ReplyOnModify as ReplyOnModify
from mailroom.config_trackers import ServiceNowConfig as ServiceNowConfig
from mailroom.config_trackers import ToolSection as ToolSection
from mailroom.config_trackers import TrackerConfig as TrackerConfig
from mailroom.config_values import (
    check_address,
    check_folders,
    check_header_name,
    check_message_id_domain,
    check_not_blank,
    check_public_url,
    require_entries,
)
from mailroom.config_yaml import load_yaml
from mailroom.errors import ConfigurationError
from mailroom.models import Importance


class MailboxConfig(Section):
    """One watched mailbox and the folders watched in it."""

    address: Annotated[str, AfterValidator(check_address)]
    folders: Annotated[list[str], AfterValidator(check_folders)] = [
        "Inbox",
        "SentItems",
    ]


class MailConfig(Section):
    """Which mail system serves the mailboxes."""

    kind: Literal["local", "graph"] = "local"
    client_state_secret: SecretStr = SecretStr("local-client-state")
    subscription_minutes: int = Field(default=4230, ge=5, le=10080)
    renew_before_minutes: int = Field(default=720, ge=1)
    initial_sync: Literal["skip_existing", "all"] = "skip_existing"
    # The same mail in two watched mailboxes: one ticket, or one per mailbox
    # (each mailbox then routes it by its own rules).
    duplicates: Literal["one_ticket", "per_mailbox"] = "one_ticket"
    function_key: SecretStr | None = None
    graph: GraphConfig | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Check that Graph is told which app to sign in as."""
        if self.kind == "graph" and self.graph is None:
            raise ValueError(
                "mail.kind 'graph' needs a mail.graph section with tenant_id and "
                "client_id; add it, or set mail.kind to 'local'"
            )


class Criteria(Section):
    """Conditions of a routing rule; every one given must hold."""

    mailbox: list[str] = []
    sender: list[str] = []
    sender_domain: list[str] = []
    recipient: list[str] = []
    subject: str | None = None
    body: str | None = None
    importance: list[Importance] = []
    has_attachments: bool | None = None
    headers: dict[str, str] = {}


class RouteConfig(Section):
    """A routing rule: the first that matches wins unless it says go on."""

    name: Annotated[str, AfterValidator(check_not_blank)]
    match: Criteria = Criteria()
    # An empty list makes a route that skips the mail it matches.
    tools: list[str]
    continue_matching: bool = False


class FieldMapConfig(Section):
    """How mail values and body `Key: Value` lines become ticket fields."""

    body_keys: dict[str, str] = {}
    unmapped_keys: Literal["ignore", "keep"] = "ignore"
    importance_field: str | None = "severity"
    importance_values: dict[Importance, str] = {
        "low": "Low",
        "normal": "Medium",
        "high": "High",
    }
    allowed_values: dict[str, list[str]] = {}
    aliases: dict[str, list[str]] = {}
    block_start: str | None = None
    block_end: str | None = None
    types: dict[str, Literal["text", "choice", "number", "date", "user", "multi"]] = {}
    date_order: Literal["dmy", "mdy"] = "dmy"
    priority_field: str | None = None
    x_priority_values: dict[str, str] = {
        "1": "Highest",
        "2": "High",
        "3": "Normal",
        "4": "Low",
        "5": "Lowest",
    }


class ThreadingConfig(Section):
    """Threading policies."""

    subject_change: Literal["linked_new", "comment"] = "linked_new"
    forward: Literal["linked_new", "comment"] = "linked_new"
    # A reply this many days after its ticket closed opens a linked follow-up
    # instead of reopening it; 0 never reopens.
    reopen_grace_days: int = Field(default=14, ge=0)
    # How many opening lines of a body are searched for ticket keys; 0 none.
    body_key_lines: int = Field(default=5, ge=0)
    # Read a bare `#123` as an Azure DevOps work item (`AB#123` always is).
    bare_work_item_numbers: bool = False


class ForwardConfig(Section):
    """Who becomes the requester of a forwarded mail."""

    # Mail domains of the organization's own people. When one of them
    # forwards a mail inline, its original sender becomes the requester.
    internal_domains: list[str] = []


class AcknowledgementConfig(Section):
    """The reply sent to a requester once their tickets exist."""

    enabled: bool = True
    # Caps that stop two autoresponders from answering each other forever.
    max_per_sender_per_hour: int = Field(default=5, ge=1)
    max_per_thread_per_hour: int = Field(default=3, ge=1)
    subject: str = "[{{ tickets[0].key }}] {{ subject }}"
    body: str = (
        "Hello {{ requester_name or 'there' }},\n\n"
        "we have received your message and opened:\n"
        "{% for ticket in tickets %}"
        "  {{ ticket.key }}: {{ ticket.url }}\n"
        "{% endfor %}"
        "{% if problems %}\nSome parts of your mail could not be taken over:\n"
        "{% for problem in problems %}"
        "  {{ problem.field }} = {{ problem.value }}: {{ problem.reason }}\n"
        "{% endfor %}{% endif %}"
        "\nReply to this mail to add to the ticket.\n"
        "Reference: {{ token }}\n"
    )


class AttachmentConfig(Section):
    """Size limits on the files a mail brings to a ticket, in bytes."""

    max_bytes: int = Field(default=25 * 1024 * 1024, ge=1)
    max_total_bytes: int = Field(default=50 * 1024 * 1024, ge=1)


class StorageConfig(Section):
    """Where queues, state and blobs live: embedded SQLite, or Azure Storage."""

    kind: Literal["sqlite", "azure"] = "sqlite"
    # Azurite or a development account. In Azure, name the account instead:
    # the app then signs in with its managed identity.
    connection_string: SecretStr | None = None
    account_name: str | None = Field(default=None, pattern=r"^[a-z0-9]{3,24}$")
    # Sets one installation's queues, table and container apart from
    # another's in the same account (tests, a second environment).
    prefix: str = Field(default="", pattern=r"^([a-z][a-z0-9]{0,15})?$")

    def model_post_init(self, context: Any, /) -> None:
        """Check that Azure storage is told how to connect, one way only."""
        if self.kind != "azure":
            return
        if (self.connection_string is None) == (self.account_name is None):
            raise ValueError(
                "storage.kind 'azure' needs exactly one of storage.connection_string "
                "(Azurite, development) and storage.account_name (managed identity)"
            )


class RuntimeConfig(Section):
    """Where local data lives, which address is served, how long queues wait."""

    data_dir: str = ".mailroom"
    public_url: Annotated[str, AfterValidator(check_public_url)] = (
        "http://127.0.0.1:7071"
    )
    marker_header: Annotated[str, AfterValidator(check_header_name)] = "X-Mailroom-Id"
    message_id_domain: Annotated[str, AfterValidator(check_message_id_domain)] = (
        "mailroom.invalid"
    )
    # host.json's extensions.queues.visibilityTimeout: how long a queue waits
    # before it tries a failed message again. A stage defers a message whose
    # Retry-After is longer, so the two must agree.
    visibility_timeout_seconds: float = Field(default=30, ge=0)


NO_MAILBOX = (
    "lists no mailbox; Mailroom needs at least one to watch, such as "
    "`- address: helpdesk@example.org`"
)
NO_TRACKER = (
    "lists no tool; add the one routes send mail to, such as `local: {kind: local}`"
)
NO_ROUTE = (
    "lists no route, so every mail would be skipped; add one, such as "
    "`- {name: everything, tools: [local]}`"
)


class Config(Section):
    """The whole configuration."""

    mailboxes: Annotated[
        list[MailboxConfig], AfterValidator(require_entries(NO_MAILBOX))
    ]
    mail: MailConfig = MailConfig()
    trackers: Annotated[
        dict[str, TrackerConfig], AfterValidator(require_entries(NO_TRACKER))
    ]
    routes: Annotated[list[RouteConfig], AfterValidator(require_entries(NO_ROUTE))]
    fields: FieldMapConfig = FieldMapConfig()
    threading: ThreadingConfig = ThreadingConfig()
    forwards: ForwardConfig = ForwardConfig()
    acknowledgement: AcknowledgementConfig = AcknowledgementConfig()
    attachments: AttachmentConfig = AttachmentConfig()
    runtime: RuntimeConfig = RuntimeConfig()
    storage: StorageConfig = StorageConfig()


def parse_config(
    text: str,
    source: str = "configuration",
    set_by: Mapping[str, str] | None = None,
) -> Config:
    """Validate YAML text into a Config, listing every problem on failure.

    `set_by` maps a dotted key to the app setting that set it, so that a
    problem names the setting instead of the file. The checks of each part
    run even when another part is invalid, so one reading reports all.
    """
    settings = set_by or {}
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(describe_yaml(exc, source)) from None

    if not isinstance(data, dict):
        raise ConfigurationError(f"{source} must be a mapping at the top level")

    # The checks use the rules, whose modules import this one.
    from mailroom.config_checks import check_config

    problems: list[Problem] = []
    try:
        config: Config | None = Config.model_validate(data)
    except ValidationError as exc:
        config, problems = None, collect_problems(exc, Config, data)

    problems += check_config(data)
    if config is None or problems:
        report = describe_problems(problems, data, Config, source, settings)
        raise ConfigurationError(report)
    return config
