"""Build the containers Outlook sends, byte by byte, for attachment tests.

No library writes TNEF, so `tnef_stream` lays out its attributes by hand
(signature, key, then level / id / length / data / checksum per attribute).
A .msg is an OLE compound file; `outlook_msg` fills one with the property
streams an Outlook mail has, using the OLE writer that extract-msg ships.
"""

from __future__ import annotations

import io
import struct

from compressed_rtf.crc32 import crc32
from extract_msg.ole_writer import OleWriter

TNEF_SIGNATURE = 0x223E9F78
MESSAGE, ATTACHMENT = 1, 2

# Attribute ids: the type sits in the high word, the name in the low word.
ATT_TNEF_VERSION = 0x0008_9006
ATT_OEM_CODEPAGE = 0x0006_9007
ATT_BODY = 0x0002_800C
ATT_MAPI_PROPS = 0x0006_9003
ATT_ATTACH_REND_DATA = 0x0006_9002
ATT_ATTACH_TITLE = 0x0001_8010
ATT_ATTACH_DATA = 0x0006_800F
ATT_ATTACHMENT = 0x0006_9005

PT_UNICODE, PT_BINARY = 0x001F, 0x0102
PR_BODY_HTML, PR_RTF_COMPRESSED, PR_ATTACH_LONG_FILENAME = 0x1013, 0x1009, 0x3707


def tnef_attribute(level: int, attribute: int, data: bytes) -> bytes:
    """Encode one TNEF attribute with its length and checksum."""
    head = struct.pack("<BII", level, attribute, len(data))
    return head + data + struct.pack("<H", sum(data) & 0xFFFF)


def mapi_property(kind: int, tag: int, value: bytes) -> bytes:
    """Encode one variable-length MAPI property, padded to four bytes."""
    padding = b"\0" * (-len(value) % 4)
    return struct.pack("<HHII", kind, tag, 1, len(value)) + value + padding


def mapi_block(*properties: bytes) -> bytes:
    """Encode a list of MAPI properties with its count."""
    return struct.pack("<I", len(properties)) + b"".join(properties)


def tnef_stream(
    body: bytes | None = None,
    files: list[tuple[str, bytes]] | None = None,
    mapi: bytes | None = None,
) -> bytes:
    """Build a winmail.dat with a body, files and optional MAPI properties."""
    parts = [
        struct.pack("<IH", TNEF_SIGNATURE, 0x1234),
        tnef_attribute(MESSAGE, ATT_TNEF_VERSION, struct.pack("<I", 0x00010000)),
        tnef_attribute(MESSAGE, ATT_OEM_CODEPAGE, struct.pack("<II", 1252, 0)),
    ]
    if body is not None:
        parts.append(tnef_attribute(MESSAGE, ATT_BODY, body))
    if mapi is not None:
        parts.append(tnef_attribute(MESSAGE, ATT_MAPI_PROPS, mapi))
    for name, data in files or []:
        parts.extend(tnef_file(name, data))
    return b"".join(parts)


def tnef_file(name: str, data: bytes) -> list[bytes]:
    """Encode one attached file: rendering data, short title, bytes, long name."""
    long_name = mapi_property(
        PT_UNICODE, PR_ATTACH_LONG_FILENAME, (name + "\0").encode("utf-16-le")
    )
    return [
        tnef_attribute(ATTACHMENT, ATT_ATTACH_REND_DATA, bytes(14)),
        tnef_attribute(ATTACHMENT, ATT_ATTACH_TITLE, b"FILE~1.BIN\0"),
        tnef_attribute(ATTACHMENT, ATT_ATTACH_DATA, data),
        tnef_attribute(ATTACHMENT, ATT_ATTACHMENT, mapi_block(long_name)),
    ]


def forged_rtf(count: int) -> bytes:
    """Forge compressed RTF of `count` tokens, each copying the 17 bytes before.

    Two bytes of a stream write seventeen: the most that compression allows.
    """
    tokens, end = bytearray(), 207
    for index in range(count):
        if index % 8 == 0:
            tokens.append(0xFF)
        tokens += struct.pack(">H", (end - 17) % 4096 << 4 | 0xF)
        end = (end + 17) % 4096
    head = struct.pack("<II4sI", len(tokens) + 12, 17, b"LZFu", crc32(bytes(tokens)))
    return head + tokens


def _utf16(text: str) -> bytes:
    """Encode a string stream the way Outlook stores it."""
    return text.encode("utf-16-le")


def outlook_msg(
    subject: str,
    sender: str,
    address: str,
    body: str | None,
    files: dict[str, bytes],
    rtf: bytes | None = None,
) -> bytes:
    """Build an Outlook .msg of class IPM.Note with attached files.

    `rtf` is stored as the compressed RTF body; a body of None is left out.
    """
    writer = OleWriter()
    counts = struct.pack("<IIII", 0, len(files), 0, len(files))
    writer.addEntry("__properties_version1.0", bytes(8) + counts + bytes(8))
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in (
        "__substg1.0_00020102",
        "__substg1.0_00030102",
        "__substg1.0_00040102",
    ):
        writer.addEntry("__nameid_version1.0/" + stream, b"")
    writer.addEntry("__substg1.0_001A001F", _utf16("IPM.Note"))
    writer.addEntry("__substg1.0_0037001F", _utf16(subject))
    writer.addEntry("__substg1.0_0C1A001F", _utf16(sender))
    writer.addEntry("__substg1.0_5D01001F", _utf16(address))
    if body is not None:
        writer.addEntry("__substg1.0_1000001F", _utf16(body))
    if rtf is not None:
        writer.addEntry("__substg1.0_10090102", rtf)
    for index, (name, data) in enumerate(files.items()):
        _add_msg_file(writer, index, name, data)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _add_msg_file(writer: OleWriter, index: int, name: str, data: bytes) -> None:
    """Add one attachment storage (attach method: by value) to a .msg."""
    storage = f"__attach_version1.0_#{index:08X}"
    method = struct.pack("<IIQ", 0x37050003, 6, 1)
    writer.addEntry(storage, storage=True)
    writer.addEntry(storage + "/__properties_version1.0", bytes(8) + method)
    writer.addEntry(storage + "/__substg1.0_3707001F", _utf16(name))
    writer.addEntry(storage + "/__substg1.0_37010102", data)
