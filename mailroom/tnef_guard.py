"""Bound the work tnefparse may do before it is handed a winmail.dat.

tnefparse loops over every count a stream declares: properties, values of a
multi-valued property, rows of the recipient table. It never checks a count
against the bytes left, so four forged bytes make it spin for minutes (or
hours) logging a warning per missing item. It also copies the rest of the
stream for every attribute it reads, which costs the square of the length
when a stream holds many tiny attributes.

`fits` walks the stream's framing the way tnefparse does and refuses it when
a count promises more items than the bytes left could hold, when streams are
nested too deep, or when the copying would pass a fixed budget. A refused
stream is treated as unreadable: the caller keeps the original file.
"""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
ATTACHMENT_LEVEL = 2
MAPI_PROPS, RECIPIENTS, ATTACHMENT = 0x9003, 0x9004, 0x9005
MULTI_VALUE, NAMED = 0x1000, 0x8000
ATTACH_DATA_OBJECT = 0x3701
EMBEDDED_MESSAGE = bytes.fromhex("0703020000000000c000000000000046")
FIXED_SIZES = {
    0x0002: 2, 0x000B: 2,  # short, boolean
    0x0003: 4, 0x0004: 4, 0x000A: 4,  # int, float, error
    0x0005: 8, 0x0006: 8, 0x0007: 8, 0x0014: 8, 0x0040: 8,  # 64-bit kinds
    0x0048: 16,  # GUID
}  # fmt: skip
VARIABLE = frozenset({0x0000, 0x000D, 0x001E, 0x001F, 0x0102})
COPY_BUDGET = 16 << 30  # bytes tnefparse may copy framing one stream: about a second
MAX_DEPTH = 4  # message streams nested inside attached messages


class Refused(Exception):
    """The stream declares more than its bytes can hold."""


class _Reader:
    """Little-endian reads over a byte string that stop at its end."""

    def __init__(self, data: bytes | memoryview, offset: int = 0) -> None:
        self.data = memoryview(data)
        self.offset = offset

    @property
    def left(self) -> int:
        """Return the number of bytes after the read position."""
        return len(self.data) - self.offset

    def take(self, size: int) -> memoryview:
        """Return the next `size` bytes; EOFError when fewer are left."""
        if size > self.left:
            raise EOFError
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def u16(self) -> int:
        """Read an unsigned 16-bit value."""
        return int(struct.unpack("<H", self.take(2))[0])

    def u32(self) -> int:
        """Read an unsigned 32-bit value."""
        return int(struct.unpack("<I", self.take(4))[0])

    def count(self, smallest_item: int) -> int:
        """Read an item count; Refused when the bytes left cannot hold it."""
        value = self.u32()
        if value * smallest_item > self.left:
            raise Refused
        return value


def fits(data: bytes, copy_budget: int = COPY_BUDGET) -> bool:
    """Return True when tnefparse can read `data` in time bounded by its size."""
    try:
        _Walk(copy_budget).stream(data, depth=0)
    except Refused:
        return False
    return True


class _Walk:
    """One check of a stream and the streams nested in it, sharing one budget."""

    def __init__(self, copy_budget: int) -> None:
        self.budget = copy_budget

    def stream(self, data: bytes | memoryview, depth: int) -> None:
        """Check a TNEF stream: its attributes and the MAPI lists inside them."""
        if depth > MAX_DEPTH:
            raise Refused
        reader = _Reader(data)
        try:
            if reader.u32() != SIGNATURE:
                return  # tnefparse refuses it at once
            reader.take(2)
        except EOFError:
            return
        while reader.left > 12:  # tnefparse's smallest attribute
            self.budget -= reader.left  # tnefparse copies the rest per attribute
            if self.budget < 0:
                raise Refused
            start = reader.offset
            head = _Reader(reader.take(9))
            level = head.take(1)[0]
            name = head.u16()
            head.u16()
            length = min(head.u32(), reader.left)
            self.attribute(level, name, reader.take(length), depth)
            reader.offset = min(start + 9 + length + 2, len(reader.data))

    def attribute(self, level: int, name: int, body: memoryview, depth: int) -> None:
        """Check the MAPI property lists that tnefparse decodes in an attribute."""
        reader = _Reader(body)
        try:
            if level == ATTACHMENT_LEVEL:
                if name == ATTACHMENT:
                    self.properties(reader, depth)
            elif name == MAPI_PROPS:
                self.properties(reader, depth)
            elif name == RECIPIENTS:
                for _ in range(reader.count(4)):
                    self.properties(reader, depth)
        except EOFError:
            return  # tnefparse stops where the bytes stop

    def properties(self, reader: _Reader, depth: int) -> None:
        """Check one MAPI property list: its count and each property's values."""
        for _ in range(reader.count(4)):
            kind, tag = reader.u16(), reader.u16()
            if tag >= NAMED:
                reader.take(16)
                if reader.u32() == 0:
                    reader.u32()
                else:
                    reader.take(_padded(reader.u32()))
            multi = bool(kind & MULTI_VALUE)
            kind &= ~MULTI_VALUE
            values = reader.count(FIXED_SIZES.get(kind, 4)) if multi else 1
            for _ in range(values):
                self.value(reader, kind, tag, multi, depth)
            if values % 2 and kind in (0x0002, 0x000B):
                reader.offset += 2

    def value(
        self, reader: _Reader, kind: int, tag: int, multi: bool, depth: int
    ) -> None:
        """Step over one property value, checking counts and nested streams."""
        if kind in FIXED_SIZES:
            reader.offset += FIXED_SIZES[kind]
            return
        if kind not in VARIABLE:
            raise EOFError  # tnefparse gives up on an unknown kind
        for _ in range(1 if multi else reader.count(4)):
            item = reader.take(min(_padded(reader.u32()), reader.left))
            if tag == ATTACH_DATA_OBJECT and item[:16] == EMBEDDED_MESSAGE:
                self.stream(item[16:], depth + 1)


def _padded(length: int) -> int:
    """Return a length rounded up to the four-byte boundary MAPI pads to."""
    return length + (-length % 4)
