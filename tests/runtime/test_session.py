"""Starting the product on this machine: the port it listens on."""

from __future__ import annotations

import pytest

from runtime.session import choose_port


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("http://127.0.0.1:7071", 7071),
        ("http://127.0.0.1:0", 0),
        ("https://mailroom.example.org", 443),
        ("http://mailroom.example.org/base/", 80),
    ],
)
def test_the_port_comes_from_public_url_or_its_scheme(url: str, port: int) -> None:
    """A public_url without a port listens on its scheme's, not a crash."""
    assert choose_port(url) == port
