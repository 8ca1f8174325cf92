"""The trackers sections: what each connected tool's settings hold."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr

from mailroom.config_section import Section
from mailroom.config_values import WebUrl, check_jira_project, check_local_project

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
    project: Annotated[str, AfterValidator(check_local_project)] = "HELP"

    @property
    def key_prefixes(self) -> list[str]:
        """Return the project key."""
        return [self.project]


class JiraConfig(ToolSection):
    """Jira Cloud (REST v3) or Data Center (REST v2)."""

    kind: Literal["jira"]
    base_url: WebUrl
    deployment: Literal["cloud", "datacenter"] = "cloud"
    project: Annotated[str, AfterValidator(check_jira_project)]
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
    instance_url: WebUrl
    table: str = "incident"
    username: str | None = None
    password: SecretStr | None = None
    oauth_token: SecretStr | None = None
    shared_secret: SecretStr | None = None


class AzureDevOpsConfig(ToolSection):
    """Azure DevOps Boards through the Work Item Tracking REST API."""

    kind: Literal["azure_devops"]
    organization_url: WebUrl
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
    base_url: WebUrl
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
