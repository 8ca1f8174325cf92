"""Compressed RTF: unpacked sizes counted before unpacking, text after."""

from __future__ import annotations

import struct

import compressed_rtf

from mailroom.rtf import read_compressed_rtf, unpacked_size
from mailroom.tnef import read_tnef
from tests.domain.attachment_samples import (
    PR_RTF_COMPRESSED,
    PT_BINARY,
    forged_rtf,
    mapi_block,
    mapi_property,
    tnef_stream,
)

RTF = rb"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Pallet 7 arrived damaged.\par }"


def test_size_is_counted_as_compressed_rtf_unpacks() -> None:
    """The counted size is what compressed_rtf writes, written or forged."""
    written, forged = compressed_rtf.compress(RTF), forged_rtf(100)
    assert unpacked_size(written, limit=10_000) == len(RTF)
    assert unpacked_size(forged, limit=10_000) == 1700
    assert len(compressed_rtf.decompress(forged)) == 1700


def test_stream_that_unpacks_past_the_limit_is_not_unpacked() -> None:
    """Two bytes per 17 written: past the limit, the count stops and gives None."""
    assert unpacked_size(forged_rtf(100), limit=1699) is None
    assert read_compressed_rtf(forged_rtf(100), limit=1699) is None
    assert read_compressed_rtf(compressed_rtf.compress(RTF)) == RTF


def test_claimed_raw_size_counts_only_the_bytes_present() -> None:
    """An uncompressed stream claiming 4 GB holds only the bytes it carries."""
    stream = struct.pack("<II4sI", 12 + len(RTF), 0xFFFFFFFF, b"MELA", 0) + RTF
    assert unpacked_size(stream, limit=len(RTF)) == len(RTF)
    assert unpacked_size(stream[:8] + b"ABCD" + stream[12:], limit=100) is None


def test_winmail_dat_whose_rtf_unpacks_too_large_is_unreadable() -> None:
    """An RTF-only body past the limit keeps the winmail.dat whole."""
    packed = forged_rtf(130_000)  # 276 kB that unpack to 2.2 MB
    mapi = mapi_block(mapi_property(PT_BINARY, PR_RTF_COMPRESSED, packed))
    stream = tnef_stream(mapi=mapi, files=[("label.pdf", b"%PDF-1.4")])
    assert read_tnef(stream) is None
