"""The EWM adapter signs in by form or by basic authentication."""

from __future__ import annotations

import pytest

from mailroom.errors import ConfigurationError, PermanentError
from tests.adapters.trackers.contract import draft
from tests.adapters.trackers.fake_ewm import PASSWORD, FakeEwm, connect


def test_form_authentication_signs_in_once_and_keeps_the_session() -> None:
    """After `authrequired`, one j_security_check serves every later call."""
    fake = FakeEwm("form")
    tracker = connect(fake)
    for n in range(3):
        tracker.find_by_correlation(f"m-{n}")
    sign_ins = [r for r in fake.requests if r.url.path.endswith("/j_security_check")]
    assert len(sign_ins) == 1


def test_form_sign_in_posts_the_jazz_fields() -> None:
    """The form carries j_username and j_password, form-encoded."""
    fake = FakeEwm("form")
    connect(fake).find_by_correlation("m-1")
    sign_in = next(r for r in fake.requests if r.url.path.endswith("j_security_check"))
    assert b"j_username=mailroom" in sign_in.content
    assert sign_in.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_writes_of_a_form_session_carry_the_csrf_header() -> None:
    """Posts and puts send X-Jazz-CSRF-Prevent with the session id."""
    fake = FakeEwm("form")
    connect(fake).create_ticket(draft())
    posts = [r for r in fake.requests if r.method == "POST" and "oslc" in r.url.path]
    assert posts and all(r.headers["X-Jazz-CSRF-Prevent"] == "sess-42" for r in posts)


def test_basic_authentication_sends_the_password_with_each_call() -> None:
    """A basic server never sees the sign-in form."""
    fake = FakeEwm("basic")
    connect(fake).find_by_correlation("m-1")
    assert not any(r.url.path.endswith("j_security_check") for r in fake.requests)


def test_a_refused_form_sign_in_names_the_settings() -> None:
    """`authfailed` is a permanent error naming username and password."""
    with pytest.raises(PermanentError, match=r"trackers\.ewm\.username") as caught:
        connect(FakeEwm("form"), password="wrong").find_by_correlation("m-1")
    assert PASSWORD not in str(caught.value) and "wrong" not in str(caught.value)


def test_a_refused_basic_password_names_the_settings() -> None:
    """A 401 from a basic server is a permanent error naming the password."""
    with pytest.raises(PermanentError, match=r"trackers\.ewm\.password"):
        connect(FakeEwm("basic"), password="wrong").find_by_correlation("m-1")


def test_a_server_asking_to_sign_in_without_credentials_is_a_config_error() -> None:
    """With no username, a sign-in request fails at the configuration."""
    with pytest.raises(ConfigurationError, match=r"trackers\.ewm\.username"):
        connect(FakeEwm("form"), username=None).find_by_correlation("m-1")
