"""Mailroom's Azure Functions app: triggers and bindings, each into a handler.

The same app runs in Azure and under `mailroom serve`, whose local host
reads these registrations and serves them on this machine.
"""

from __future__ import annotations

import os

import azure.functions as func

from handlers.acknowledge import handle_ack
from handlers.deliver import handle_delivery
from handlers.ingest import handle_change
from handlers.lifecycle import handle_lifecycle
from handlers.notifications import handle_notifications
from handlers.observe import invocation
from handlers.stage import StageResult, run_stage
from handlers.subscriptions import (
    handle_lifecycle_event,
    renew_subscriptions,
    run_catch_up,
)
from handlers.tool_events import handle_tool_event
from handlers.tool_webhooks import accept_tool_webhook
from handlers.webhooks import HttpAnswer
from mailroom.messages import AckRequest, DeliveryRequest, LifecycleEvent, MailChange
from mailroom.tool_events import ToolEvent
from runtime.telemetry import configure_telemetry
from runtime.wiring import (
    client_state_secret,
    services,
    webhook_blobs,
    webhook_reader,
)

STORAGE = "AzureWebJobsStorage"
MAIL_CHANGES = "mail-changes"
LIFECYCLE = "lifecycle-events"
DELIVERIES = "deliveries"
ACKNOWLEDGEMENTS = "acknowledgements"
TOOL_EVENTS = "tool-events"

configure_telemetry(os.environ)
app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="notifications", methods=["POST"])
@app.queue_output(arg_name="changes", queue_name=MAIL_CHANGES, connection=STORAGE)
def notifications(
    req: func.HttpRequest, changes: func.Out[list[str]], context: func.Context
) -> func.HttpResponse:
    """Take Graph change notifications."""
    with invocation(context):
        answer = handle_notifications(
            dict(req.params), req.get_body(), client_state_secret()
        )
    return respond(answer, changes)


@app.route(route="lifecycle", methods=["POST"])
@app.queue_output(arg_name="events", queue_name=LIFECYCLE, connection=STORAGE)
def lifecycle(
    req: func.HttpRequest, events: func.Out[list[str]], context: func.Context
) -> func.HttpResponse:
    """Take Graph lifecycle notifications."""
    with invocation(context):
        answer = handle_lifecycle(
            dict(req.params), req.get_body(), client_state_secret()
        )
    return respond(answer, events)


@app.route(route="tool-events/{tool}", methods=["POST"])
@app.queue_output(arg_name="events", queue_name=TOOL_EVENTS, connection=STORAGE)
def tool_events(
    req: func.HttpRequest, events: func.Out[list[str]], context: func.Context
) -> func.HttpResponse:
    """Take a connected tool's webhook (comment, new ticket, change)."""
    tool = req.route_params.get("tool", "")
    headers = {name.lower(): value for name, value in req.headers.items()}
    with invocation(context):
        reader = webhook_reader(tool)
        answer = accept_tool_webhook(
            tool, headers, req.get_body(), reader, webhook_blobs
        )
    return respond(answer, events)


@app.queue_trigger(arg_name="msg", queue_name=TOOL_EVENTS, connection=STORAGE)
@app.queue_output(
    arg_name="poison", queue_name=f"{TOOL_EVENTS}-poison", connection=STORAGE
)
def tool_events_worker(
    msg: func.QueueMessage, poison: func.Out[list[str]], context: func.Context
) -> None:
    """Mail what a tool event says to the people of the ticket's thread."""
    body = msg.get_body()
    with invocation(context):
        result = run_stage(
            "tool-events", body, ToolEvent, handle_tool_event, services(), TOOL_EVENTS
        )
    poison.set(result.poison)


@app.queue_trigger(arg_name="msg", queue_name=MAIL_CHANGES, connection=STORAGE)
@app.queue_output(arg_name="out", queue_name=DELIVERIES, connection=STORAGE)
@app.queue_output(
    arg_name="poison", queue_name=f"{MAIL_CHANGES}-poison", connection=STORAGE
)
def ingest(
    msg: func.QueueMessage,
    out: func.Out[list[str]],
    poison: func.Out[list[str]],
    context: func.Context,
) -> None:
    """Fetch, classify, thread and route one changed mail."""
    body = msg.get_body()
    with invocation(context):
        result = run_stage(
            "ingest", body, MailChange, handle_change, services(), MAIL_CHANGES
        )
    forward(result, out, poison)


@app.queue_trigger(arg_name="msg", queue_name=DELIVERIES, connection=STORAGE)
@app.queue_output(arg_name="out", queue_name=ACKNOWLEDGEMENTS, connection=STORAGE)
@app.queue_output(
    arg_name="poison", queue_name=f"{DELIVERIES}-poison", connection=STORAGE
)
def deliver(
    msg: func.QueueMessage,
    out: func.Out[list[str]],
    poison: func.Out[list[str]],
    context: func.Context,
) -> None:
    """Create the ticket or comment one mail needs in one tool."""
    body = msg.get_body()
    with invocation(context):
        result = run_stage(
            "deliver", body, DeliveryRequest, handle_delivery, services(), DELIVERIES
        )
    forward(result, out, poison)


@app.queue_trigger(arg_name="msg", queue_name=ACKNOWLEDGEMENTS, connection=STORAGE)
@app.queue_output(
    arg_name="poison", queue_name=f"{ACKNOWLEDGEMENTS}-poison", connection=STORAGE
)
def acknowledge(
    msg: func.QueueMessage, poison: func.Out[list[str]], context: func.Context
) -> None:
    """Reply to the requester with the URLs of their tickets."""
    body = msg.get_body()
    with invocation(context):
        result = run_stage(
            "acknowledge", body, AckRequest, handle_ack, services(), ACKNOWLEDGEMENTS
        )
    poison.set(result.poison)


@app.queue_trigger(arg_name="msg", queue_name=LIFECYCLE, connection=STORAGE)
@app.queue_output(arg_name="out", queue_name=MAIL_CHANGES, connection=STORAGE)
@app.queue_output(
    arg_name="poison", queue_name=f"{LIFECYCLE}-poison", connection=STORAGE
)
def lifecycle_worker(
    msg: func.QueueMessage,
    out: func.Out[list[str]],
    poison: func.Out[list[str]],
    context: func.Context,
) -> None:
    """Reauthorize, recreate or catch up after a lifecycle event."""
    body = msg.get_body()
    with invocation(context):
        result = run_stage(
            "lifecycle",
            body,
            LifecycleEvent,
            handle_lifecycle_event,
            services(),
            LIFECYCLE,
        )
    forward(result, out, poison)


@app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
@app.queue_output(arg_name="out", queue_name=MAIL_CHANGES, connection=STORAGE)
def renew_subscriptions_timer(
    timer: func.TimerRequest, out: func.Out[list[str]], context: func.Context
) -> None:
    """Create, renew and drop subscriptions every hour."""
    with invocation(context):
        changes = renew_subscriptions(services())
    out.set([change.model_dump_json() for change in changes])


@app.timer_trigger(arg_name="timer", schedule="0 */15 * * * *")
@app.queue_output(arg_name="out", queue_name=MAIL_CHANGES, connection=STORAGE)
def catch_up_timer(
    timer: func.TimerRequest, out: func.Out[list[str]], context: func.Context
) -> None:
    """Run a delta query on every watched folder every 15 minutes."""
    with invocation(context):
        changes = run_catch_up(services())
    out.set([change.model_dump_json() for change in changes])


def respond(answer: HttpAnswer, queue: func.Out[list[str]]) -> func.HttpResponse:
    """Enqueue what the handler left and turn its answer into a response."""
    if answer.enqueue:
        queue.set(answer.enqueue)
    return func.HttpResponse(
        answer.body,
        status_code=answer.status,
        mimetype=answer.content_type.split(";")[0],
    )


def forward(
    result: StageResult, out: func.Out[list[str]], poison: func.Out[list[str]]
) -> None:
    """Set a stage's output bindings."""
    out.set(result.outputs)
    poison.set(result.poison)
