"""Measure a MIME part's decoded content as its encoded lines stream past.

A file too large to keep in memory still needs its decoded size and SHA-256
for the record. PartDigest decodes base64 and quoted-printable line by line,
carrying what a line leaves unfinished, and holds nothing but a hash.
"""

from __future__ import annotations

import binascii
import hashlib
import string

_BASE64_ALPHABET = (string.ascii_letters + string.digits + "+/").encode()
_NOT_BASE64 = bytes(set(range(256)) - set(_BASE64_ALPHABET))


def split_ending(line: bytes) -> tuple[bytes, bytes]:
    """Split a line into its content and its line ending (CRLF, LF or none)."""
    if line.endswith(b"\r\n"):
        return line[:-2], b"\r\n"
    if line.endswith(b"\n"):
        return line[:-1], b"\n"
    return line, b""


class PartDigest:
    """Hash and count the decoded bytes of one part's body, line by line.

    The line ending before the closing boundary belongs to the boundary,
    so the last ending seen is held back until more content follows.
    """

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._hash = hashlib.sha256()
        self.size = 0
        self._quartet_rest = b""
        self._held = b""

    def feed(self, line: bytes) -> None:
        """Take the next encoded line (or piece of a very long line)."""
        if self._encoding == "base64":
            self._feed_base64(line)
        elif self._encoding == "quoted-printable":
            self._feed_quoted(line)
        else:
            self._feed_plain(line)

    def finish(self) -> str:
        """Decode what is left and return the SHA-256 in hex."""
        rest = self._quartet_rest
        if len(rest) > 1:
            self._take(_decode_base64(rest + b"=" * (-len(rest) % 4)))
        self._quartet_rest = b""
        return self._hash.hexdigest()

    def _feed_base64(self, line: bytes) -> None:
        letters = self._quartet_rest + line.translate(None, _NOT_BASE64)
        whole = len(letters) - len(letters) % 4
        self._quartet_rest = letters[whole:]
        if whole:
            self._take(_decode_base64(letters[:whole]))

    def _feed_quoted(self, line: bytes) -> None:
        content, ending = split_ending(line)
        if content.endswith(b"=") and ending:
            self._take_held(binascii.a2b_qp(content[:-1]), b"")
        else:
            self._take_held(binascii.a2b_qp(content), ending)

    def _feed_plain(self, line: bytes) -> None:
        content, ending = split_ending(line)
        self._take_held(content, ending)

    def _take_held(self, data: bytes, ending: bytes) -> None:
        """Add the ending held from before, then `data`; hold `ending`."""
        if data or ending:
            self._take(self._held + data)
            self._held = ending

    def _take(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)


def _decode_base64(letters: bytes) -> bytes:
    """Decode whole quartets of the base64 alphabet, padded when needed."""
    try:
        return binascii.a2b_base64(letters)
    except binascii.Error:
        return b""
