"""Mailroom's configuration: one frozen, typed object read at start-up."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)

from mailroom.config_problems import (
    Problem,
    collect_problems,
    describe_problems,
    describe_yaml,
)
from mailroom.config_values import (
    check_address,
    check_folders,
    check_header_name,
    check_message_id_domain,
    check_not_blank,
    check_public_url,
    require_entries,
)
from mailroom.errors import ConfigurationError
from mailroom.models import Importance

# The keys of mail.graph that each make the app sign in its own way.
SIGN_IN_KEYS = ("client_secret", "certificate", "certificate_path")
PEM_BEGIN = "-----BEGIN"
# Every DER structure, PKCS#12 included, opens with the SEQUENCE tag.
DER_SEQUENCE = b"\x30"
# PKCS#8 and the older OpenSSL header that each mark an encrypted key.
PEM_ENCRYPTED = ("ENCRYPTED PRIVATE KEY-----", "Proc-Type: 4,ENCRYPTED")


class Section(BaseModel):
    """Base of every configuration section: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MailboxConfig(Section):
    """One watched mailbox and the folders watched in it."""

    address: Annotated[str, AfterValidator(check_address)]
    folders: Annotated[list[str], AfterValidator(check_folders)] = [
        "Inbox",
        "SentItems",
    ]


class GraphConfig(Section):
    """Exchange Online through Microsoft Graph: the app and how it signs in."""

    tenant_id: str
    client_id: str
    # How the app signs in, one way at most: a client secret; a certificate
    # with its private key, as text (PEM, or base64 PKCS#12 as Key Vault
    # keeps a certificate) or as a PEM file; with none of them, the managed
    # identity of the Functions app (a user-assigned one when its client id
    # is given).
    client_secret: SecretStr | None = None
    certificate: SecretStr | None = None
    certificate_path: str | None = None
    managed_identity_client_id: str | None = None
    base_url: str = "https://graph.microsoft.com/v1.0"
    # Exchange serves one app at most four requests at once per mailbox.
    max_concurrency: int = Field(default=4, ge=1, le=4)
    # When Graph drops a folder's delta link, catch up on this many days.
    resync_days: int = Field(default=7, ge=1, le=365)

    def model_post_init(self, context: Any, /) -> None:
        """Check that the app signs in one way only, and the certificate's form."""
        ways = [key for key in SIGN_IN_KEYS if getattr(self, key) is not None]
        if len(ways) > 1:
            raise ValueError(
                f"mail.graph sets {' and '.join(ways)}; the app signs in one way, "
                "so keep only the one the app registration holds (look in the "
                "file and in the MAILROOM__mail__graph__ app settings)"
            )
        if self.certificate is not None:
            decode_certificate(self.certificate.get_secret_value())


def decode_certificate(text: str) -> bytes:
    """Return the bytes of a certificate given as PEM text or base64 PKCS#12.

    Only the form is checked here; azure-identity reads the key and the
    certificate when it builds the credential.
    """
    if PEM_BEGIN in text:
        _check_pem(text)
        return text.encode("utf-8")

    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error:
        data = b""
    if not data.startswith(DER_SEQUENCE):
        raise ValueError(
            "mail.graph.certificate is neither PEM text nor base64 PKCS#12; set "
            "it to the certificate with its private key as PEM, or to the value "
            "of a Key Vault certificate's secret. If the app setting still reads "
            "@Microsoft.KeyVault(...), the app could not resolve the reference"
        )
    return data


def _check_pem(text: str) -> None:
    """Check that PEM text holds a certificate and its unencrypted key."""
    if "PRIVATE KEY-----" not in text or "BEGIN CERTIFICATE-----" not in text:
        raise ValueError(
            "mail.graph.certificate needs both the certificate and its private "
            "key in one PEM text; append the key's PEM block to the certificate's"
        )
    if any(mark in text for mark in PEM_ENCRYPTED):
        raise ValueError(
            "mail.graph.certificate holds an encrypted private key; store the "
            "key unencrypted (the setting is a secret already), as "
            "`openssl pkey -in key.pem` writes it"
        )


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


ReplyOnModify = Literal["reply_all", "reply", "none"]


class ToolSection(Section):
    """What every connected tool's section has."""

    # How a public comment made in the tool goes back to the mail thread.
    reply_on_modify: ReplyOnModify = "reply_all"
    # Mailroom field -> the tool's field name or id.
    field_map: dict[str, str] = {}
    # Statuses that close a ticket: a reply after one reopens the ticket
    # within threading.reopen_grace_days, or opens a linked follow-up.
    closed_statuses: list[str] = ["Done", "Closed", "Resolved", "Cancelled"]
    # Mail the requester (under the ticket's mail thread) when the status changes.
    notify_status: bool = False
    # Tell the requester when the tool refuses their mail for good (the
    # message also waits in the poison queue for `mailroom replay`).
    notify_failure: bool = False

    @property
    def key_prefixes(self) -> list[str]:
        """Return the prefixes of this tool's ticket keys (Jira projects)."""
        return []


class LocalTrackerConfig(ToolSection):
    """The embedded tracker: tickets in SQLite with a web page."""

    kind: Literal["local"] = "local"
    project: str = "HELP"

    @property
    def key_prefixes(self) -> list[str]:
        """Return the project key."""
        return [self.project]


class JiraConfig(ToolSection):
    """Jira Cloud (REST v3) or Data Center (REST v2)."""

    kind: Literal["jira"]
    base_url: str
    deployment: Literal["cloud", "datacenter"] = "cloud"
    project: str
    issue_type: str = "Task"
    email: str | None = None
    api_token: SecretStr | None = None
    personal_access_token: SecretStr | None = None
    webhook_secret: SecretStr | None = None

    @property
    def key_prefixes(self) -> list[str]:
        """Return the Jira project key."""
        return [self.project]


class ServiceNowConfig(ToolSection):
    """ServiceNow through the Table and Attachment APIs."""

    kind: Literal["servicenow"]
    instance_url: str
    table: str = "incident"
    username: str | None = None
    password: SecretStr | None = None
    oauth_token: SecretStr | None = None
    shared_secret: SecretStr | None = None


class AzureDevOpsConfig(ToolSection):
    """Azure DevOps Boards through the Work Item Tracking REST API."""

    kind: Literal["azure_devops"]
    organization_url: str
    project: str
    work_item_type: str = "Issue"
    # pat: a personal access token; entra: tokens of the Functions app's
    # managed identity (or DefaultAzureCredential's chain on a workstation).
    auth: Literal["pat", "entra"] = "pat"
    managed_identity_client_id: str | None = None
    personal_access_token: SecretStr | None = None
    hook_username: str | None = None
    hook_password: SecretStr | None = None


class EwmConfig(ToolSection):
    """IBM Engineering Workflow Management (RTC) through OSLC CM."""

    kind: Literal["ewm"]
    base_url: str
    project_area: str
    username: str | None = None
    password: SecretStr | None = None
    notification_secret: SecretStr | None = None

    @property
    def key_prefixes(self) -> list[str]:
        """Return the prefix of EWM keys as Mailroom writes them."""
        return ["EWM"]


TrackerConfig = Annotated[
    LocalTrackerConfig | JiraConfig | ServiceNowConfig | AzureDevOpsConfig | EwmConfig,
    Field(discriminator="kind"),
]


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
        data = yaml.safe_load(text)
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
