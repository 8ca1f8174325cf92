"""Keep what a log record says about an exception down to its type on export.

An exception's message and traceback are the library's words, not ours: a
chained HTTP error quotes its URL, and Graph URLs name the mailbox. The
JSON lines keep only the type (`error_type`); exported records do the same.
Imported only when telemetry is on, since it loads the OpenTelemetry SDK.
"""

from __future__ import annotations

from opentelemetry.sdk._logs import LogRecordProcessor, ReadWriteLogRecord
from opentelemetry.semconv.attributes import exception_attributes

DROPPED = (
    exception_attributes.EXCEPTION_MESSAGE,
    exception_attributes.EXCEPTION_STACKTRACE,
)


class ExceptionTypeOnly(LogRecordProcessor):
    """Drop an exception's message and traceback before a record is exported."""

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        """Remove the attributes that quote the exception."""
        attributes = log_record.log_record.attributes
        if not attributes:
            return
        for key in DROPPED:
            attributes.pop(key, None)  # type: ignore[attr-defined]

    def shutdown(self) -> None:
        """Hold nothing to release."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Hold nothing to flush."""
        return True
