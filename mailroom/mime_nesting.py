"""MIME parts nested a bounded number of levels deep, the rest kept whole.

The email package reads a multipart or an attached mail by calling itself
once per level, and so does every walk over the tree it builds: 2,000
nested multiparts, 0.12 MB of mail, passed Python's recursion limit and the
mail could not be read at all. The parser builds its tree from
`NestedMessage`, which knows its depth: a multipart or message/* part
`MAX_NESTING` levels down reads as one opaque file, its body unparsed, so
neither the parser nor any walk after it goes deeper. It stays attached,
as an attached mail past the depth read as a related item does.
"""

from __future__ import annotations

from email.message import Message
from email.policy import Compat32, compat32

# Real mail nests a few levels (mixed, related, alternative, a signature, a
# forward or two); each level costs the parser and the walks a handful of
# stack frames, and this many stay far below Python's limit of 1,000.
MAX_NESTING = 64
NESTED_TOO_DEEP = (
    f"Parts nested more than {MAX_NESTING} levels deep were not read; "
    "the part holding them is kept as a file."
)
OPAQUE_TYPE = "application/octet-stream"
_CONTAINERS = ("multipart", "message")


class NestedMessage(Message):
    """A message that reads as a plain file once nested too deep to enter."""

    max_nesting = MAX_NESTING

    def __init__(self, policy: Compat32 = compat32) -> None:
        super().__init__(policy)
        self.depth = 0

    def attach(self, payload: Message | str) -> None:
        """Add a subpart one level below this part."""
        if isinstance(payload, NestedMessage):
            payload.depth = self.depth + 1
        super().attach(payload)

    def get_content_type(self) -> str:
        """Return the declared type, or an opaque one for a part left unread.

        The parser asks this before it enters a part, so a part that
        answers with a file's type is never entered.
        """
        return OPAQUE_TYPE if self.left_unread else super().get_content_type()

    @property
    def left_unread(self) -> bool:
        """Tell whether this part holds parts nested too deep to be read."""
        if self.depth < self.max_nesting:
            return False
        return super().get_content_type().partition("/")[0] in _CONTAINERS


class ShallowMessage(NestedMessage):
    """A message read only a few levels deep, for a last look at its text."""

    max_nesting = 8


def is_left_unread(part: Message) -> bool:
    """Tell whether a part of a parsed mail was kept whole for its depth."""
    return isinstance(part, NestedMessage) and part.left_unread
