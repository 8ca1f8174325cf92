"""winmail.dat whose counts promise more than its bytes are refused up front.

tnefparse trusts every count a stream declares, so these streams would make
it loop for minutes; the guard refuses them and the caller keeps the file.
"""

from __future__ import annotations

import logging
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailroom import tnef_guard
from mailroom.tnef import read_tnef
from tests.domain.attachment_samples import (
    ATT_ATTACH_REND_DATA,
    ATT_ATTACHMENT,
    ATTACHMENT,
    MESSAGE,
    PT_UNICODE,
    mapi_block,
    mapi_property,
    tnef_attribute,
    tnef_stream,
)

ATT_RECIPIENT_TABLE = 0x0006_9004
PT_SHORT, PT_STRING, PT_OBJECT, MULTI = 0x0002, 0x001E, 0x000D, 0x1000
PR_SUBJECT, PR_ATTACH_DATA_OBJ = 0x0037, 0x3701
EMBEDDED_MESSAGE = bytes.fromhex("0703020000000000c000000000000046")
BODY = b"Printer on floor 3 is offline.\r\n"


def _props(count: int, *properties: bytes) -> bytes:
    """Return a MAPI property list that declares `count` properties."""
    return struct.pack("<I", count) + b"".join(properties)


def _with_mapi(block: bytes) -> bytes:
    """Return a stream with a body and one message-level MAPI list."""
    return tnef_stream(body=BODY, mapi=block)


def _nested(depth: int) -> bytes:
    """Return a stream whose attachment holds a stream, `depth` levels down."""
    inner = tnef_stream(body=b"innermost\r\n")
    for _ in range(depth):
        embedded = mapi_property(
            PT_OBJECT, PR_ATTACH_DATA_OBJ, EMBEDDED_MESSAGE + inner
        )
        inner = tnef_stream(body=BODY) + tnef_attribute(
            ATTACHMENT, ATT_ATTACHMENT, mapi_block(embedded)
        )
    return inner


def test_a_forged_property_count_is_refused() -> None:
    """Four billion properties in twelve bytes: refused, not looped over."""
    stream = _with_mapi(_props(0xFFFF_FFFF, bytes(8)))
    assert not tnef_guard.fits(stream)
    assert read_tnef(stream) is None


def test_a_forged_multi_value_count_is_refused() -> None:
    """A multi-valued short that claims two billion values is refused."""
    forged = struct.pack("<HHI", PT_SHORT | MULTI, PR_SUBJECT, 0x7FFF_FFFF)
    assert not tnef_guard.fits(_with_mapi(_props(1, forged + bytes(8))))


def test_a_multi_value_property_that_fits_is_accepted() -> None:
    """Three shorts in the bytes they need pass, and the stream still reads."""
    shorts = struct.pack("<HHI3hxx", PT_SHORT | MULTI, PR_SUBJECT, 3, 1, 2, 3)
    stream = _with_mapi(_props(1, shorts))
    assert tnef_guard.fits(stream)
    content = read_tnef(stream)
    assert content is not None and content.body == BODY.decode().replace("\r", "")


def test_a_forged_string_count_is_refused() -> None:
    """A single string property that claims 268 million parts is refused."""
    forged = struct.pack("<HHI", PT_STRING, PR_SUBJECT, 0x1000_0000)
    assert not tnef_guard.fits(_with_mapi(_props(1, forged + bytes(16))))


def test_a_forged_recipient_table_is_refused() -> None:
    """A recipient table that claims more rows than it has bytes is refused."""
    table = tnef_attribute(
        MESSAGE, ATT_RECIPIENT_TABLE, struct.pack("<II", 0xFFFF_FFF0, 0)
    )
    assert not tnef_guard.fits(tnef_stream(body=BODY) + table)


def test_named_properties_are_stepped_over() -> None:
    """Named properties, by id and by name, are walked and accepted."""
    guid = bytes(range(16))
    by_id = struct.pack("<HH", PT_SHORT, 0x8001) + guid + struct.pack("<IIhxx", 0, 7, 5)
    name = "Ticket\0".encode("utf-16-le")
    by_name = (
        struct.pack("<HH", PT_SHORT, 0x8002) + guid
        + struct.pack("<II", 1, len(name)) + name + b"\0\0"
        + struct.pack("<hxx", 9)
    )  # fmt: skip
    label = mapi_property(PT_UNICODE, PR_SUBJECT, "Printer\0".encode("utf-16-le"))
    assert tnef_guard.fits(_with_mapi(_props(3, by_id, by_name, label)))
    forged = by_name + struct.pack("<HHI", PT_SHORT | MULTI, PR_SUBJECT, 1 << 30)
    assert not tnef_guard.fits(_with_mapi(_props(3, by_id, forged, label)))


def test_streams_nested_in_attached_messages_are_checked_to_a_depth() -> None:
    """Four attached-message levels pass; a forged count inside one is found."""
    assert tnef_guard.fits(_nested(tnef_guard.MAX_DEPTH))
    assert not tnef_guard.fits(_nested(tnef_guard.MAX_DEPTH + 1))
    forged = _with_mapi(_props(0xFFFF_FFFF))
    embedded = mapi_property(PT_OBJECT, PR_ATTACH_DATA_OBJ, EMBEDDED_MESSAGE + forged)
    outer = tnef_stream(body=BODY) + tnef_attribute(
        ATTACHMENT, ATT_ATTACHMENT, mapi_block(embedded)
    )
    assert not tnef_guard.fits(outer)


def test_many_tiny_attributes_are_refused_past_the_copy_budget() -> None:
    """Each attribute costs the rest of the stream; the sum is capped."""
    tiny = tnef_attribute(ATTACHMENT, ATT_ATTACH_REND_DATA, bytes(2))
    stream = tnef_stream(body=BODY, files=[("log.txt", b"E-204")]) + tiny * 2000
    cost = sum(range(len(tiny), len(stream), len(tiny)))  # at least what is copied
    assert tnef_guard.fits(stream)
    assert tnef_guard.fits(stream, copy_budget=2 * cost)
    assert not tnef_guard.fits(stream, copy_budget=cost // 2)


def test_the_fuzzed_stream_that_flooded_the_log_is_refused_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five spliced bytes once made tnefparse log 9.7 million warnings."""
    stream = tnef_stream(
        body=b"Error E-204 since Monday.\r\n",
        files=[("scan log.txt", b"E-204 07:12"), ("settings.xml", b"<s/>")],
    )
    spliced = stream[:271] + b"\xf1\xf5\xb6,\x95" + stream[276:]
    with caplog.at_level(logging.DEBUG):
        assert read_tnef(spliced) is None
    assert caplog.records == []


class _Counter(logging.Handler):
    """Count the records tnefparse logs while one stream is read."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 400), junk=st.binary(min_size=1, max_size=12))
def test_accepted_streams_keep_tnefparse_within_their_size(
    cut: int, junk: bytes
) -> None:
    """Whatever a spliced stream says, an accepted one logs at most a record
    per four bytes: the loops tnefparse runs are bounded by the bytes."""
    label = mapi_property(PT_UNICODE, PR_SUBJECT, "Scanner\0".encode("utf-16-le"))
    stream = tnef_stream(body=BODY, files=[("a.txt", b"E-204")], mapi=_props(1, label))
    data = stream[:cut] + junk + stream[cut + len(junk) :]
    if not tnef_guard.fits(data):
        return
    logger = logging.getLogger("tnefparse")
    counter, level = _Counter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    try:
        read_tnef(data)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    assert counter.count <= len(data) // 4 + 16
