"""Serve a FunctionApp on this machine, without Azure or the Core Tools.

HTTP triggers answer on 127.0.0.1 under /api/<route>, as in Azure; queue
triggers drain the embedded SQLite queues with the retry and poison rules of
host.json; timers fire on their NCRONTAB schedule. Extra pages (the local
tracker) are mounted by prefix.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func
from croniter import croniter

from adapters.queues.sqlite import POISON_SUFFIX, PoisonedMessage, QueuedMessage
from mailroom.errors import RetryableError
from runtime.local_context import context_argument
from runtime.registrations import Registration, read_registrations

logger = logging.getLogger(__name__)

Page = Callable[[str], tuple[int, str, bytes]]
POLL_SECONDS = (0.02, 0.5)


class HostQueues(Protocol):
    """What the host needs of its queues: SQLite here, Azure (Azurite) too."""

    def send(self, queue: str, body: str, delay: float = 0) -> None:
        """Append a message, hidden for its first `delay` seconds."""
        ...

    def receive(
        self, queue: str, visibility_timeout: float, owner: str
    ) -> QueuedMessage | None:
        """Lease the oldest visible message, or return None."""
        ...

    def delete(self, queue: str, id: str, pop_token: str) -> bool:
        """Remove a finished message."""
        ...

    def release(self, queue: str, id: str, pop_token: str, delay: float) -> bool:
        """Make a failed message visible again after `delay` seconds."""
        ...

    def move_to_poison(self, queue: str, id: str, pop_token: str, reason: str) -> bool:
        """Park a message that failed its last try."""
        ...

    def park(self, queue: str, body: str, dequeue_count: int) -> None:
        """Set aside a body a stage refused, with its message's dequeue count."""
        ...

    def move_poison(self, queue: str) -> int:
        """Put a queue's poison messages back."""
        ...

    def release_owner_leases(self, except_owner: str) -> int:
        """Free the messages a dead host had leased."""
        ...

    def depth(self, queue: str) -> int:
        """Count a queue's messages."""
        ...

    def pending(self) -> int:
        """Count messages on every non-poison queue."""
        ...

    def poison_counts(self) -> dict[str, int]:
        """Count poison messages per queue."""
        ...

    def poison_messages(self, queue: str) -> list[PoisonedMessage]:
        """List the messages of a queue's poison queue, oldest first."""
        ...

    def close(self) -> None:
        """Release the connections the queues hold."""
        ...


class QueueSettings:
    """The queue settings of host.json that the local host honours."""

    def __init__(self, host_json: Path | None) -> None:
        queues: dict[str, Any] = {}
        if host_json is not None and host_json.exists():
            document = json.loads(host_json.read_text(encoding="utf-8"))
            queues = document.get("extensions", {}).get("queues", {})
        self.max_dequeue_count = int(queues.get("maxDequeueCount", 5))
        self.retry_delay = parse_timespan(queues.get("visibilityTimeout", "00:00:00"))
        self.batch_size = int(queues.get("batchSize", 16))
        self.lease_seconds = 600.0


def route_pattern(route: str) -> re.Pattern[str]:
    """Return a pattern for an Azure Functions route such as `a/{name}`."""
    parts = re.split(r"\{(\w+)\}", route)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
        for index, part in enumerate(parts)
    )
    return re.compile(f"/api/{pattern}")


def parse_timespan(value: str) -> float:
    """Return the seconds of a host.json time span such as 00:00:30."""
    hours, minutes, seconds = (float(part) for part in value.split(":"))
    return hours * 3600 + minutes * 60 + seconds


class LocalOut(func.Out[Any]):
    """An output binding that keeps what the function set."""

    def __init__(self) -> None:
        self.value: Any = None

    def set(self, val: Any) -> None:
        """Keep the value."""
        self.value = val

    def get(self) -> Any:
        """Return the value."""
        return self.value

    def messages(self) -> list[str]:
        """Return the queue messages set, whatever their shape."""
        if self.value is None:
            return []
        values = self.value if isinstance(self.value, list) else [self.value]
        return [v if isinstance(v, str) else json.dumps(v) for v in values]


class LocalQueueMessage(func.QueueMessage):
    """A queue message that knows its dequeue count, as in Azure."""

    def __init__(self, message: QueuedMessage) -> None:
        super().__init__(
            id=message.id, body=message.body, pop_receipt=message.pop_token
        )
        self._dequeue_count = message.dequeue_count

    @property
    def dequeue_count(self) -> int:
        """Return how often the message was received."""
        return self._dequeue_count


class LocalTimerRequest(func.TimerRequest):
    """The timer argument of a timer-triggered function."""

    def __init__(self, past_due: bool = False) -> None:
        self._past_due = past_due

    @property
    def past_due(self) -> bool:
        """Tell whether the timer fired late."""
        return self._past_due


class LocalHost:
    """Run every registration of a FunctionApp in this process."""

    def __init__(
        self,
        app: func.FunctionApp,
        queues: HostQueues,
        settings: QueueSettings,
        port: int = 7071,
        pages: dict[str, Page] | None = None,
    ) -> None:
        self.registrations = read_registrations(app)
        self.queues = queues
        self.settings = settings
        self.pages = pages or {}
        self.owner = uuid.uuid4().hex
        self.stopping = threading.Event()
        self.wake: dict[str, threading.Event] = {}
        self.threads: list[threading.Thread] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.server.daemon_threads = True

    @property
    def port(self) -> int:
        """Return the port the HTTP server listens on."""
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        """Return the base URL of the HTTP server."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers_per_queue: int = 2) -> None:
        """Start serving HTTP, draining queues and firing timers."""
        released = self.queues.release_owner_leases(self.owner)
        logger.info("host.start", extra={"port": self.port, "released": released})
        self._spawn(self.server.serve_forever)
        for registration in self.registrations:
            if registration.trigger == "queueTrigger":
                for _ in range(workers_per_queue):
                    self._spawn(self._drain, registration)
            elif registration.trigger == "timerTrigger":
                self._spawn(self._tick, registration)

    def stop(self) -> None:
        """Stop every worker and the HTTP server."""
        self.stopping.set()
        for waker in self.wake.values():
            waker.set()
        self.server.shutdown()
        self.server.server_close()
        for thread in self.threads:
            thread.join(timeout=10)
        logger.info("host.stop", extra={"port": self.port})

    def run_timers(self) -> None:
        """Fire every timer once now, in the order the app registered them."""
        for registration in self.registrations:
            if registration.trigger == "timerTrigger":
                self.invoke(registration, LocalTimerRequest())

    def wait_idle(self, timeout: float, settle: float = 0.3) -> bool:
        """Wait until no queue holds a message; return False on time-out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queues.pending() == 0:
                time.sleep(settle)
                if self.queues.pending() == 0:
                    return True
            time.sleep(0.05)
        return False

    def invoke(self, registration: Registration, trigger: Any) -> Any:
        """Call a function with its trigger and enqueue what it output."""
        outputs = {name: LocalOut() for name in registration.outputs}
        context = context_argument(registration.code, registration.name)
        trigger_arg = {registration.trigger_arg: trigger}
        result = registration.code(**trigger_arg, **outputs, **context)
        for name, out in outputs.items():
            queue = registration.outputs[name]
            for body in out.messages():
                self._enqueue(queue, body, trigger)
            self._waker(queue).set()
        return result

    def _enqueue(self, queue: str, body: str, trigger: Any) -> None:
        """Send a function's output; a poison one keeps its message's tries."""
        source = queue.removesuffix(POISON_SUFFIX)
        if source != queue and isinstance(trigger, LocalQueueMessage):
            self.queues.park(source, body, trigger.dequeue_count)
        else:
            self.queues.send(queue, body)

    def _waker(self, queue: str) -> threading.Event:
        """Return the event that wakes the workers of `queue`."""
        return self.wake.setdefault(queue, threading.Event())

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        """Start a daemon thread."""
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _drain(self, registration: Registration) -> None:
        """Receive and process a queue's messages until stopped."""
        queue = str(registration.settings["queueName"])
        waker = self._waker(queue)
        idle = POLL_SECONDS[0]
        while not self.stopping.is_set():
            message = self.queues.receive(
                queue, self.settings.lease_seconds, self.owner
            )
            if message is None:
                # Work enqueued by this host wakes the worker at once; polling
                # only catches messages from other processes and retries.
                waker.wait(idle)
                waker.clear()
                idle = min(idle * 2, POLL_SECONDS[1])
                continue
            idle = POLL_SECONDS[0]
            self._process(registration, queue, message)

    def _process(
        self, registration: Registration, queue: str, message: QueuedMessage
    ) -> None:
        """Run one message; delete it, retry it later, or poison it."""
        try:
            self.invoke(registration, LocalQueueMessage(message))
        except Exception as exc:
            self._failed(queue, message, exc)
            return
        self.queues.delete(queue, message.id, message.pop_token)

    def _failed(self, queue: str, message: QueuedMessage, exc: Exception) -> None:
        """Retry a failed message after a delay, or poison it after the last try.

        As on Azure, the next try comes after host.json's visibilityTimeout:
        a shorter Retry-After does not bring it closer (five tries would go
        in seconds), and a longer one is the stage's to defer.
        """
        logger.warning(
            "host.message_failed",
            extra={"queue": queue, "dequeue_count": message.dequeue_count},
            exc_info=exc,
        )
        if message.dequeue_count >= self.settings.max_dequeue_count:
            reason = (
                f"gave up after {message.dequeue_count} tries; the last failed "
                f"with {type(exc).__name__}: {exc}"
            )
            self.queues.move_to_poison(queue, message.id, message.pop_token, reason)
            return
        delay = self.settings.retry_delay
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        self.queues.release(queue, message.id, message.pop_token, delay)

    def _tick(self, registration: Registration) -> None:
        """Fire a timer on its schedule until stopped."""
        schedule = croniter(
            str(registration.settings["schedule"]),
            datetime.now(UTC),
            second_at_beginning=True,
        )
        while not self.stopping.is_set():
            due = schedule.get_next(datetime)
            wait = (due - datetime.now(UTC)).total_seconds()
            if self.stopping.wait(max(wait, 0)):
                return
            try:
                self.invoke(registration, LocalTimerRequest())
            except Exception as exc:
                logger.warning("host.timer_failed", exc_info=exc)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        """Return the request handler class bound to this host."""
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.answer_http(self)

            def do_POST(self) -> None:
                host.answer_http(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the access log quiet; the functions log their own line."""

        return Handler

    def answer_http(self, request: BaseHTTPRequestHandler) -> None:
        """Route a request to an HTTP function or a mounted page."""
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""

        status, content_type, payload = self._dispatch(request, parts.path, body)
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _dispatch(
        self, request: BaseHTTPRequestHandler, path: str, body: bytes
    ) -> tuple[int, str, bytes]:
        """Return status, content type and body for one request."""
        if path == "/" and self.pages:
            path = next(iter(self.pages))
        for prefix, page in self.pages.items():
            if path == prefix or path.startswith(prefix + "/"):
                return page(path)

        found = self._http_function(path, request.command)
        if found is None:
            return 404, "text/plain; charset=utf-8", b"no function at this path"
        registration, route_params = found

        http_request = func.HttpRequest(
            method=request.command,
            url=f"{self.url}{request.path}",
            headers=dict(request.headers.items()),
            route_params=route_params,
            params=dict(
                parse_qsl(urlsplit(request.path).query, keep_blank_values=True)
            ),
            body=body,
        )
        try:
            response = self.invoke(registration, http_request)
        except Exception as exc:
            logger.error(
                "host.http_failed", extra={"function": registration.name}, exc_info=exc
            )
            return 500, "text/plain; charset=utf-8", b"internal error"
        content_type = response.headers.get("Content-Type") or response.mimetype
        return response.status_code, content_type, response.get_body()

    def _http_function(
        self, path: str, method: str
    ) -> tuple[Registration, dict[str, str]] | None:
        """Return the HTTP function serving `path` and its route values."""
        for registration in self.registrations:
            if registration.trigger != "httpTrigger":
                continue
            match = route_pattern(registration.route).fullmatch(path.rstrip("/"))
            if match and method in registration.methods:
                return registration, match.groupdict()
        return None
