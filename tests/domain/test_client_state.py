"""clientState values: issued per subscription, verified by the secret alone."""

from mailroom.client_state import issue_client_state, verify_client_state


def test_an_issued_value_verifies() -> None:
    """A value issued under a secret verifies under the same secret."""
    assert verify_client_state("s", issue_client_state("s", "abc123"))


def test_another_secret_does_not_verify() -> None:
    """A value issued under another secret is refused."""
    assert not verify_client_state("t", issue_client_state("s", "abc123"))


def test_a_tampered_nonce_does_not_verify() -> None:
    """Changing the nonce breaks the MAC."""
    value = issue_client_state("s", "abc123").replace("abc123", "abc124")
    assert not verify_client_state("s", value)


def test_values_fit_graphs_limit_and_differ_per_nonce() -> None:
    """Graph allows 128 characters; each subscription gets its own value."""
    first, second = issue_client_state("s", "a" * 24), issue_client_state("s", "b1")
    assert len(first) <= 128
    assert first != second


def test_non_strings_and_oversized_values_are_refused() -> None:
    """Missing, numeric or oversized clientState values never verify."""
    assert not verify_client_state("s", None)
    assert not verify_client_state("s", 42)
    assert not verify_client_state("s", "mr1." + "a" * 200 + ".x")
