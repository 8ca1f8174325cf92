"""RTF bodies: Outlook's compressed RTF unpacked within a bound, then as text.

Outlook compresses an RTF body (MS-OXRTFCP): after a 16-byte header, each
control byte says which of the next eight tokens are literal bytes and which
copy up to 17 bytes from a 4 KB window, so a stream can unpack to eight
times its size. compressed_rtf unpacks byte by byte in Python and trusts
nothing but the bytes, whatever size the header claims; striprtf and RTFDE
then take seconds per MB. `unpacked_size` walks the tokens without copying
and stops once past the limit, so a stream is unpacked only when it is small.
"""

from __future__ import annotations

import struct

from compressed_rtf import decompress
from striprtf.striprtf import rtf_to_text

# About a second to unpack and strip; far above the RTF of a written mail.
MAX_RTF_BYTES = 2 << 20
_COMPRESSED, _UNCOMPRESSED = b"LZFu", b"MELA"
_WINDOW = 4096
_PRELOADED = 207  # bytes of the window filled before the first token
_HEADER = struct.Struct("<II4sI")


def read_compressed_rtf(data: bytes, limit: int = MAX_RTF_BYTES) -> bytes | None:
    """Unpack a compressed RTF stream; None when it is unreadable or too large."""
    if unpacked_size(data, limit) is None:
        return None
    try:
        return bytes(decompress(data))
    except Exception:  # compressed_rtf raises a bare Exception on a bad CRC
        return None


def unpacked_size(data: bytes, limit: int) -> int | None:
    """Return how many bytes `data` unpacks to; None past `limit` or unreadable."""
    if len(data) < _HEADER.size:
        return None
    size, raw_size, kind, _ = _HEADER.unpack_from(data)
    tokens = data[_HEADER.size : _HEADER.size + max(size - 12, 0)]
    if kind == _UNCOMPRESSED:
        unpacked = min(raw_size, len(tokens))
        return unpacked if unpacked <= limit else None
    if kind != _COMPRESSED:
        return None
    return _compressed_size(tokens, limit)


def _compressed_size(tokens: bytes, limit: int) -> int | None:
    """Count the bytes the tokens write, as compressed_rtf would write them."""
    total, position, window_end = 0, 0, _PRELOADED
    while position < len(tokens):
        control = tokens[position]
        position += 1
        for bit in range(8):
            if not control >> bit & 1:
                length, position = 1, position + 1
            elif position + 2 > len(tokens):
                return total
            else:
                token = tokens[position] << 8 | tokens[position + 1]
                position += 2
                if token >> 4 == window_end:
                    return total  # the end mark
                length = (token & 0xF) + 2
            if position > len(tokens):
                return total
            total += length
            window_end = (window_end + length) % _WINDOW
            if total > limit:
                return None
    return total


def rtf_text(rtf: bytes) -> str:
    """Render an RTF document as plain text; control words are dropped."""
    source = rtf.rstrip(b"\x00").decode("latin-1")
    # striprtf ships py.typed but leaves rtf_to_text unannotated.
    text = rtf_to_text(source, errors="replace")  # type: ignore[no-untyped-call]
    return str(text).replace("\r\n", "\n").strip()
