"""Follow a mail's MIME as it streams in, keeping all but its large files.

Exchange takes mail of up to 150 MB, and nearly all of such a mail is files
a ticket cannot take anyway (over `attachments.max_bytes`, or past
`max_total_bytes`). MimeSpool reads the stream line by line, tracking the
multipart boundaries, and writes a skeleton: the mail as it arrived, except
that each file past a limit keeps its headers, gains a `X-Mailroom-Left-Off`
header with its decoded size, SHA-256 and the limit, and loses its body.
The caller keeps the whole mail elsewhere (blob storage), so nothing is lost.

Only multipart bodies are entered. An attached mail, a winmail.dat or an
.msg past a limit is left off whole, not read. The header carries a token
the caller chose, so a header a sender wrote is never taken for ours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser

from mailroom.mime_params import BOUNDED_COMPAT32
from mailroom.part_digest import PartDigest, split_ending

LEFT_OFF_HEADER = "X-Mailroom-Left-Off"
_HEADER_LINE = re.compile(rb"^(From |[\041-\071\073-\176]*:|[\t ])")
_LEFT_OFF_VALUE = re.compile(
    r"^\s*(?P<token>[0-9a-f]+);\s*size=(?P<size>\d+);\s*"
    r"sha256=(?P<sha256>[0-9a-f]{64});\s*limit=(?P<limit>\d+)\s*$"
)
_BODY_TYPES = {"text/plain", "text/html"}
# A line longer than this cannot hold a boundary worth waiting for.
LONG_LINE = 64 * 1024


@dataclass(frozen=True)
class LeftOff:
    """What the skeleton says of a file it left off."""

    size: int
    sha256: str
    limit: int


def read_left_off(value: str, token: str) -> LeftOff | None:
    """Read a left-off header's value; None unless it carries `token`."""
    found = _LEFT_OFF_VALUE.match(value)
    if found is None or found["token"] != token:
        return None
    return LeftOff(int(found["size"]), found["sha256"], int(found["limit"]))


@dataclass
class _Leaf:
    """A part without subparts, held until it ends or passes a limit.

    An attached mail keeps its own headers even when left off, so that
    its name (from its subject) and its sender are still known.
    """

    head: list[bytes]
    digest: PartDigest | None
    body: list[bytes] = field(default_factory=list)
    left_off: int | None = None
    inner_head: list[bytes] | None = None

    def add(self, line: bytes) -> None:
        """Keep a line of the body, and of an attached mail's headers."""
        if self.left_off is None:
            self.body.append(line)
        inner = self.inner_head
        if inner is not None and (not inner or split_ending(inner[-1])[0]):
            inner.append(line)


class MimeSpool:
    """Build a mail's skeleton from its MIME, fed chunk by chunk."""

    def __init__(self, token: str, max_bytes: int, max_total_bytes: int) -> None:
        self._token = token
        self._max_bytes = max_bytes
        self._max_total = max_total_bytes
        self._kept = 0
        self._out: list[bytes] = []
        self._pending = b""
        # Chunks of a line still unended, joined once it ends: joining them
        # chunk by chunk would copy a long line once per chunk.
        self._unended: list[bytes] = []
        self._mid_line = False
        self._bounds: list[bytes] = []
        # Where each boundary sits in `_bounds`: a line is looked up, not
        # compared with every open boundary, however deep they nest.
        self._depths: dict[bytes, list[int]] = {}
        self._head: list[bytes] | None = []
        self._leaf: _Leaf | None = None
        self.left_off = 0

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes of the mail."""
        if self._continues_line(chunk):
            self._unended.append(chunk)
            if self._head is not None or self._unended_size() <= LONG_LINE:
                return
            chunk = b""
        lines = (self._pending + b"".join(self._unended) + chunk).splitlines(True)
        self._pending, self._unended = b"", []
        if lines and not lines[-1].endswith(b"\n"):
            self._pending = lines.pop()
        for line in lines:
            self._line(line)
        if len(self._pending) > LONG_LINE and self._head is None:
            self._body_line(self._pending)
            self._pending = b""
            self._mid_line = True

    def _continues_line(self, chunk: bytes) -> bool:
        """Tell whether `chunk` only lengthens the line still unended."""
        ends = b"\n" in chunk or b"\r" in chunk
        return not ends and not self._pending.endswith(b"\r")

    def _unended_size(self) -> int:
        """Return the length of the line still unended."""
        return len(self._pending) + sum(len(part) for part in self._unended)

    def finish(self) -> bytes:
        """Return the skeleton once the whole mail has been fed."""
        self._pending += b"".join(self._unended)
        self._unended = []
        if self._pending:
            self._line(self._pending)
            self._pending = b""
        self._close_part()
        return b"".join(self._out)

    def _line(self, line: bytes) -> None:
        if self._mid_line:
            self._mid_line = not line.endswith(b"\n")
            self._body_line(line)
        elif line.startswith(b"--") and self._boundary(line):
            return
        elif self._head is not None:
            self._head_line(line)
        else:
            self._body_line(line)

    def _body_line(self, line: bytes) -> None:
        """Add a line to the open file, or pass it on as it came."""
        if self._leaf is not None:
            self._leaf_line(line)
        else:
            self._out.append(line)

    def _boundary(self, line: bytes) -> bool:
        """Handle `line` if it opens or closes a part of an open multipart."""
        content = split_ending(line)[0].rstrip(b" \t")
        opening = self._innermost(content[2:])
        closing = self._innermost(content[2:-2]) if content.endswith(b"--") else -1
        index = max(opening, closing)
        if index < 0:
            return False
        self._close_part()
        self._out.append(line)
        self._keep_bounds(index + 1)
        if index == opening:
            self._head = []
        else:
            self._keep_bounds(index)
        return True

    def _innermost(self, boundary: bytes) -> int:
        """Return where the innermost open `boundary` sits, or -1."""
        depths = self._depths.get(boundary)
        return depths[-1] if depths else -1

    def _open_bound(self, boundary: bytes) -> None:
        """Open a multipart whose parts `boundary` delimits."""
        self._depths.setdefault(boundary, []).append(len(self._bounds))
        self._bounds.append(boundary)

    def _keep_bounds(self, count: int) -> None:
        """Close every open multipart but the outermost `count`."""
        while len(self._bounds) > count:
            boundary = self._bounds.pop()
            self._depths[boundary].pop()

    def _head_line(self, line: bytes) -> None:
        assert self._head is not None
        blank = not split_ending(line)[0]
        if not blank and not _HEADER_LINE.match(line):
            self._open_body()
            self._line(line)
            return
        self._head.append(line)
        if blank:
            self._open_body()

    def _open_body(self) -> None:
        """Read the headers just ended: open a multipart or start a leaf."""
        head, self._head = self._head or [], None
        parser = BytesHeaderParser(policy=BOUNDED_COMPAT32)
        headers = parser.parsebytes(b"".join(head))
        boundary = headers.get_boundary()
        if headers.get_content_maintype() == "multipart" and boundary:
            self._out.extend(head)
            self._open_bound(boundary.encode("ascii", "surrogateescape"))
            return

        is_file = (
            headers.get_content_type() not in _BODY_TYPES
            or headers.get_content_disposition() == "attachment"
            or headers.get_filename() is not None
        )
        encoding = str(headers.get("Content-Transfer-Encoding", "")).strip().lower()
        digest = PartDigest(encoding) if is_file else None
        readable = encoding not in ("base64", "quoted-printable")
        is_mail = headers.get_content_type() == "message/rfc822" and readable
        self._leaf = _Leaf(head=head, digest=digest, inner_head=[] if is_mail else None)

    def _leaf_line(self, line: bytes) -> None:
        leaf = self._leaf
        assert leaf is not None
        leaf.add(line)
        if leaf.digest is not None:
            leaf.digest.feed(line)
            if leaf.left_off is None:
                leaf.left_off = self._limit_passed(leaf.digest.size)
                if leaf.left_off is not None:
                    leaf.body.clear()

    def _limit_passed(self, size: int) -> int | None:
        if size > self._max_bytes:
            return self._max_bytes
        if self._kept + size > self._max_total:
            return self._max_total
        return None

    def _close_part(self) -> None:
        """Write out the part that a boundary or the end of the mail closed."""
        if self._head is not None:
            self._out.extend(self._head)
            self._head = None
        leaf, self._leaf = self._leaf, None
        self._mid_line = False
        if leaf is None:
            return
        if leaf.left_off is None or leaf.digest is None:
            self._count_kept(leaf.digest)
            self._out.extend([*leaf.head, *leaf.body])
            return
        self._out.extend(self._left_off_head(leaf.head, leaf.digest, leaf.left_off))
        self._out.extend(leaf.inner_head or [])
        self.left_off += 1

    def _count_kept(self, digest: PartDigest | None) -> None:
        """Add a file held whole to the total, if apply_limits will keep it."""
        if digest is None:
            return
        digest.finish()
        if self._limit_passed(digest.size) is None:
            self._kept += digest.size

    def _left_off_head(
        self, head: list[bytes], digest: PartDigest, limit: int
    ) -> list[bytes]:
        """Return the part's headers with ours added, and an empty body."""
        ending = split_ending(head[-1])[1] if head else b"\r\n"
        fields = head[:-1] if head and not split_ending(head[-1])[0] else head
        sha256 = digest.finish()
        # The final size decides which limit is named, as apply_limits would.
        limit = self._limit_passed(digest.size) or limit
        value = f"{self._token}; size={digest.size}; sha256={sha256}; limit={limit}"
        line = f"{LEFT_OFF_HEADER}: {value}".encode() + (ending or b"\r\n")
        return [*fields, line, ending or b"\r\n"]
