"""The invocation context the local host hands to a function that asks for one.

In Azure the Python worker passes a `func.Context` to every function with a
`context` parameter; the local host does the same, with a fresh invocation
id per call, so log lines correlate the same way on both.
"""

from __future__ import annotations

import inspect
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import azure.functions as func

# The library exports Context but not the types its properties return.
from azure.functions._abc import RetryContext, TraceContext

APP_DIRECTORY = str(Path(__file__).resolve().parents[1])


class LocalRetryContext(RetryContext):
    """The retry context of a call that no retry policy governs."""

    @property
    def retry_count(self) -> int:
        """Return no retries so far."""
        return 0

    @property
    def max_retry_count(self) -> int:
        """Return no retries allowed by a policy."""
        return 0

    @property
    def exception(self) -> Any:
        """Return no exception: there was no failed earlier try."""
        return None


class LocalTraceContext(TraceContext):
    """An empty W3C trace context: no caller traces a local call."""

    @property
    def trace_state(self) -> str:
        """Return no trace state."""
        return ""

    @property
    def trace_parent(self) -> str:
        """Return no parent."""
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        """Return no attributes."""
        return {}


class LocalContext(func.Context):
    """One call of one function on the local host."""

    def __init__(self, function_name: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._storage = threading.local()

    @property
    def invocation_id(self) -> str:
        """Return this call's id, new for every call."""
        return self._invocation_id

    @property
    def function_name(self) -> str:
        """Return the name the app registered the function under."""
        return self._function_name

    @property
    def function_directory(self) -> str:
        """Return the folder of function_app.py."""
        return APP_DIRECTORY

    @property
    def thread_local_storage(self) -> type[threading.local]:
        """Return storage local to the calling thread, as the worker does."""
        # The library annotates a type; Azure's worker hands an instance.
        return self._storage  # type: ignore[return-value]

    @property
    def trace_context(self) -> TraceContext:
        """Return an empty trace context."""
        return LocalTraceContext()

    @property
    def retry_context(self) -> RetryContext:
        """Return a retry context with no policy: zero retries, no exception.

        The local host runs no Functions retry policies; a queue message's
        tries show in its dequeue_count.
        """
        return LocalRetryContext()


def context_argument(
    code: Callable[..., Any], function_name: str
) -> dict[str, func.Context]:
    """Return the `context` keyword argument for `code`, if it takes one."""
    if "context" not in inspect.signature(code).parameters:
        return {}
    return {"context": LocalContext(function_name)}
