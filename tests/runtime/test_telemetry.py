"""Unit-of-work lines, invocation ids, and export to Application Insights."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from adapters.queues.sqlite import SqliteQueues
from handlers.observe import invocation, mailbox_hash, unit_of_work
from runtime.local_context import LocalContext
from runtime.local_host import LocalHost, QueueSettings
from runtime.logs import JsonLines
from runtime.session import REPO, SAMPLES
from runtime.telemetry import (
    CONNECTION_VARIABLE,
    INSTRUMENTATIONS,
    configure_telemetry,
    entra_credential,
)
from tests.pipeline import HELPDESK, Pipeline

SAMPLE = SAMPLES / "01-vpn-outage-high-priority.eml"
SENDER = "ingrid.halvorsen@example.com"
SUBJECT = "VPN gateway drops connections"


class Invocation:
    """A Functions context with a known invocation id."""

    invocation_id = "3f0c9a1e-0000-4000-8000-00000000c0de"


def unit_lines(records: list[logging.LogRecord]) -> list[dict[str, Any]]:
    """Return the JSON of each unit-of-work line, in order."""
    lines = [json.loads(JsonLines().format(r)) for r in records]
    return [line for line in lines if "duration_ms" in line]


def first(lines: list[dict[str, Any]], event: str) -> dict[str, Any]:
    """Return the first line of an event."""
    return next(line for line in lines if line["event"] == event)


@pytest.fixture
def delivered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> list[logging.LogRecord]:
    """Return every record logged while one sample mail ran through the stages."""
    pipeline = Pipeline(tmp_path)
    caplog.set_level(logging.INFO)
    caplog.clear()
    with invocation(Invocation()):
        pipeline.deliver(SAMPLE.read_bytes())
    return list(caplog.records)


def test_unit_lines_carry_the_invocation_id(
    delivered: list[logging.LogRecord],
) -> None:
    """Every unit of work run inside `invocation` names its invocation id."""
    lines = unit_lines(delivered)
    events = {line["event"] for line in lines}
    assert {"ingest.change", "deliver.request", "acknowledge.request"} <= events
    assert {line["invocation_id"] for line in lines} == {Invocation.invocation_id}


def test_unit_lines_carry_a_mailbox_hash_and_the_ids(
    delivered: list[logging.LogRecord],
) -> None:
    """The mailbox is a 12-digit hash; mail key, tool, ticket, outcome are there."""
    lines = unit_lines(delivered)
    digest = mailbox_hash(HELPDESK)
    assert len(digest) == 12 and digest == mailbox_hash(HELPDESK.upper())
    for event in ("ingest.change", "deliver.request", "acknowledge.request"):
        assert first(lines, event)["mailbox_hash"] == digest, event
    deliver = first(lines, "deliver.request")
    assert deliver["mail_key"] == first(lines, "ingest.change")["mail_key"]
    assert (deliver["tool"], deliver["outcome"]) == ("local", "ok")
    assert deliver["ticket"] and deliver["duration_ms"] >= 0


def test_no_line_names_an_address_or_the_subject(
    delivered: list[logging.LogRecord],
) -> None:
    """Neither the mailbox, the sender nor the subject reaches any record."""
    text = "\n".join(JsonLines().format(r) for r in delivered).lower()
    for private in (HELPDESK, SENDER, SUBJECT.lower()):
        assert private not in text, private


def test_a_unit_outside_any_invocation_has_a_null_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The CLI and tests run stages outside a Functions call: the id is None."""
    caplog.set_level(logging.INFO)
    with unit_of_work(logging.getLogger("test"), "test.unit", mailbox="A@b.example"):
        pass
    (record,) = caplog.records
    fields = vars(record)
    assert fields["invocation_id"] is None
    assert fields["mailbox_hash"] == mailbox_hash("a@b.example")
    assert "mailbox" not in fields


def test_the_local_host_passes_a_fresh_context_to_functions_that_take_one(
    tmp_path: Path,
) -> None:
    """Each call gets its own invocation id; a function without one gets none."""
    seen: list[str] = []
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="with")
    def with_context(req: func.HttpRequest, context: func.Context) -> str:
        seen.append(context.invocation_id)
        return context.function_name

    @app.route(route="without")
    def without_context(req: func.HttpRequest) -> str:
        return "called"

    host = LocalHost(app, SqliteQueues(tmp_path / "q.sqlite3"), QueueSettings(None), 0)
    try:
        found = {r.name: r for r in host.registrations}
        request = func.HttpRequest("GET", "http://127.0.0.1/api/with", body=b"")
        assert host.invoke(found["with_context"], request) == "with_context"
        host.invoke(found["with_context"], request)
        assert host.invoke(found["without_context"], request) == "called"
    finally:
        host.server.server_close()
    assert len(set(seen)) == 2 and all(len(i) == 36 for i in seen)


def test_the_local_context_has_what_the_worker_offers() -> None:
    """Name, folder and an empty trace context, as a function may read them."""
    context = LocalContext("ingest")
    assert context.function_name == "ingest"
    assert Path(context.function_directory) == REPO
    assert context.trace_context.trace_parent == ""
    retry = context.retry_context
    assert (retry.retry_count, retry.max_retry_count, retry.exception) == (0, 0, None)


def test_without_a_connection_string_telemetry_is_off() -> None:
    """configure_telemetry returns False for an environment without the variable."""
    assert configure_telemetry({}) is False
    assert configure_telemetry({CONNECTION_VARIABLE: "  "}) is False


def test_importing_the_app_loads_no_opentelemetry_without_the_variable() -> None:
    """The Functions app starts without importing any OpenTelemetry module."""
    script = (
        "import sys, function_app\n"
        "print([m for m in sys.modules if m.startswith("
        "('opentelemetry', 'azure.monitor'))])\n"
    )
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_an_authentication_string_names_the_managed_identity() -> None:
    """ClientId with Authorization=AAD signs in as that identity; else no one."""
    credential = entra_credential("ClientId=1b2c;Authorization=AAD")
    assert type(credential).__name__ == "ManagedIdentityCredential"
    assert entra_credential("") is None
    assert entra_credential("Authorization=Key") is None


def test_every_instrumentation_of_the_distro_is_switched_off() -> None:
    """A distro upgrade that instruments a new library fails here first."""
    from azure.monitor.opentelemetry import _constants

    assert set(_constants._ALL_SUPPORTED_INSTRUMENTED_LIBRARIES) <= set(
        INSTRUMENTATIONS
    )


class Ingestion:
    """A stand-in for Application Insights' ingestion endpoint."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        received = self.items

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                text = body.decode()
                lines = text.splitlines() if text.lstrip()[:1] != "[" else []
                batch = (
                    json.loads(text)
                    if not lines
                    else [json.loads(line) for line in lines if line.strip()]
                )
                received.extend(batch)
                answer = json.dumps(
                    {"itemsReceived": len(batch), "itemsAccepted": len(batch)}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """Return the endpoint's base URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def ingestion() -> Iterator[Ingestion]:
    """Run a fake ingestion endpoint on loopback."""
    running = Ingestion()
    yield running
    running.server.shutdown()
    running.server.server_close()


EXPORT_SCRIPT = """
import logging, os
from handlers.observe import invocation, unit_of_work
from runtime.telemetry import configure_telemetry

class Context:
    invocation_id = "inv-export-1"

assert configure_telemetry(os.environ)
logger = logging.getLogger("handlers.deliver")
with invocation(Context()):
    with unit_of_work(logger, "deliver.request", mail_key="m-1",
                      mailbox="Helpdesk@Example.org") as unit:
        unit.note(tool="local", ticket="HELP-1")
try:
    try:
        raise OSError("GET /users/helpdesk@example.org/messages failed")
    except OSError as exc:
        raise RuntimeError("the mailbox helpdesk@example.org is gone") from exc
except RuntimeError as exc:
    logger.warning("host.message_failed", exc_info=exc)
from opentelemetry._logs import get_logger_provider
get_logger_provider().force_flush()
"""


@pytest.fixture
def exported(ingestion: Ingestion, tmp_path: Path) -> list[dict[str, Any]]:
    """Run a unit of work and a failure with telemetry on; return what arrived."""
    key = "00000000-0000-4000-8000-000000000001"
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        "TMPDIR": str(tmp_path),
        CONNECTION_VARIABLE: f"InstrumentationKey={key};IngestionEndpoint="
        + ingestion.url,
        # Keep the SDK's own usage reports from going anywhere from a test.
        "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    }
    subprocess.run(
        [sys.executable, "-c", EXPORT_SCRIPT],
        cwd=REPO,
        env=environment,
        timeout=120,
        check=True,
    )
    return ingestion.items


@pytest.mark.slow
def test_with_a_connection_string_unit_lines_reach_application_insights(
    exported: list[dict[str, Any]],
) -> None:
    """The line arrives as a trace whose dimensions hold the ids."""
    (line,) = [
        item["data"]["baseData"]
        for item in exported
        if item["data"]["baseData"].get("message") == "deliver.request"
    ]
    dimensions = line["properties"]
    assert dimensions["invocation_id"] == "inv-export-1"
    assert dimensions["mailbox_hash"] == mailbox_hash(HELPDESK)
    assert (dimensions["tool"], dimensions["ticket"]) == ("local", "HELP-1")


@pytest.mark.slow
def test_exported_exceptions_keep_their_type_and_lose_their_words(
    exported: list[dict[str, Any]],
) -> None:
    """A failure arrives with its type; no message or traceback names a mailbox."""
    (failure,) = [
        item["data"]["baseData"]
        for item in exported
        if item["data"]["baseType"] == "ExceptionData"
    ]
    (details,) = failure["exceptions"]
    assert (details["typeName"], details["message"]) == (
        "RuntimeError",
        "host.message_failed",
    )
    assert "helpdesk@example.org" not in json.dumps(exported).lower()
