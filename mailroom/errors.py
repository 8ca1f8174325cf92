"""Mailroom's own errors, split by whether trying again can help."""


class MailroomError(Exception):
    """Base of every error Mailroom raises on purpose."""


class RetryableError(MailroomError):
    """A failure that may pass: throttling, a 5xx, a time-out."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(MailroomError):
    """A failure that trying again cannot fix: bad input, 4xx, config."""


class ConfigurationError(PermanentError):
    """The configuration is missing a key or holds a bad value."""


class MessageNotFoundError(PermanentError):
    """The mail is no longer in the mailbox (moved away or deleted)."""


class SubscriptionNotFoundError(PermanentError):
    """The mail system no longer knows the subscription."""


class BlobNotFoundError(PermanentError):
    """No blob is stored under the name asked for."""


class MalformedInputError(PermanentError):
    """A notification, queue message or mail that cannot be read."""


class DeltaExpiredError(PermanentError):
    """A delta link the mail system no longer honours; resync the folder."""
