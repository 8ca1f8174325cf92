"""Header parameters, bounded in number before the email package reads them.

The email package splits a Content-Type or Content-Disposition into its
parameters by slicing off the rest of the value after each one, which costs
the square of the value's length: 100,000 parameters in 1 MB took ten
seconds. A real header has a handful, so only the first `MAX_PARAMS` are
given to it; the value stored, and written back, stays whole.
"""

from __future__ import annotations

from email.header import Header
from email.policy import Compat32

MAX_PARAMS = 64
TOO_MANY_PARAMS = (
    f"A Content-Type or Content-Disposition has more than {MAX_PARAMS} "
    "parameters; only the first were read."
)
_WITH_PARAMS = frozenset({"content-type", "content-disposition"})


def bounded_params(name: str, value: str) -> str:
    """Return a header value cut before its parameter past `MAX_PARAMS`."""
    if name.lower() not in _WITH_PARAMS:
        return value
    cut = -1
    for _ in range(MAX_PARAMS + 1):
        cut = value.find(";", cut + 1)
        if cut < 0:
            return value
    return value[:cut]


def has_too_many_params(name: str, value: str) -> bool:
    """Tell whether `bounded_params` would cut this header value."""
    return len(bounded_params(name, value)) < len(value)


class BoundedCompat32(Compat32):
    """The email package's compat32 policy, reading bounded parameters."""

    # Compat32 returns a Header for a value with 8-bit bytes, which the
    # base policy's annotation leaves out (typeshed ignores it the same way).
    def header_fetch_parse(  # type: ignore[override]
        self, name: str, value: str
    ) -> str | Header:
        """Fetch a value as compat32 does, its parameters bounded."""
        return super().header_fetch_parse(name, bounded_params(name, value))


BOUNDED_COMPAT32 = BoundedCompat32()
