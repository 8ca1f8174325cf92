"""Raw MIME bytes read into the email package's tree, and written back."""

from __future__ import annotations

import io
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32

from mailroom.mime_nesting import NestedMessage, ShallowMessage
from mailroom.mime_params import bounded_params


class _RawPolicy(Compat32):
    """Keep header values exactly as they arrived; Mailroom decodes them."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        """Return the stored value (Compat32 would wrap 8-bit ones).

        Its parameters are bounded in number: see `mime_params`.
        """
        return bounded_params(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        """Write a header back with its original folding and bytes."""
        return f"{name}: {value}{self.linesep}".encode("ascii", "surrogateescape")


_POLICY = _RawPolicy()


class _RawGenerator(BytesGenerator):
    """Write a message back as it arrived, broken multiparts included."""

    def _handle_multipart(self, msg: Message) -> None:
        """Write a multipart whose boundary was never found as plain text.

        The stdlib would decode its body with `replace` and then fail to
        write the result back as ASCII.
        """
        if msg.is_multipart():
            super()._handle_multipart(msg)  # type: ignore[misc]
        else:
            self._handle_text(msg)  # type: ignore[attr-defined]


def read_message(raw: bytes, headers_only: bool = False) -> Message:
    """Read raw bytes into a tree of `NestedMessage`, headers kept as they are.

    With `headers_only`, the body stays one unparsed string.
    """
    parser = BytesParser(NestedMessage, policy=_policy(raw))
    return parser.parsebytes(raw, headersonly=headers_only)


def read_shallow_message(raw: bytes) -> Message:
    """Read raw bytes as `read_message` does, entering only a few levels."""
    return BytesParser(ShallowMessage, policy=_policy(raw)).parsebytes(raw)


def _policy(raw: bytes) -> _RawPolicy:
    """Return the policy for `raw`, writing lines back with its line ends."""
    linesep = "\r\n" if b"\r\n" in raw[:4096] else "\n"
    return _POLICY.clone(linesep=linesep)


def message_bytes(message: Message) -> bytes:
    """Serialize a message with its headers and bodies as they arrived."""
    buffer = io.BytesIO()
    _RawGenerator(buffer, mangle_from_=False).flatten(message)
    return buffer.getvalue()
