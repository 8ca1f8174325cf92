"""Planning subscriptions from the configured mailboxes and folders."""

from datetime import UTC, datetime, timedelta

from mailroom.subscriptions import Subscription, plan_subscriptions

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
URL = "http://127.0.0.1:7071/api/notifications"
WANTED = [("helpdesk@example.org", "Inbox"), ("helpdesk@example.org", "SentItems")]


def sub(id: str, folder: str, hours: float, url: str = URL) -> Subscription:
    """Return a subscription that expires `hours` from now."""
    return Subscription(
        id=id,
        mailbox="helpdesk@example.org",
        folder=folder,
        resource="users/helpdesk@example.org/mailFolders/x/messages",
        notification_url=url,
        expires_at=NOW + timedelta(hours=hours),
    )


def plan(*existing: Subscription):  # type: ignore[no-untyped-def]
    """Plan against `existing` with a 12-hour renewal margin."""
    return plan_subscriptions(WANTED, list(existing), URL, timedelta(hours=12), NOW)


def test_missing_subscriptions_are_created() -> None:
    """Nothing exists: one subscription per wanted folder."""
    assert plan().create == WANTED


def test_one_expiring_soon_is_renewed_and_a_fresh_one_kept() -> None:
    """Only the subscription inside the margin is renewed."""
    result = plan(sub("a", "Inbox", 2), sub("b", "SentItems", 40))
    assert (result.create, result.renew, result.delete) == ([], ["a"], [])


def test_duplicates_old_keys_and_expired_ones_are_deleted() -> None:
    """Stale subscriptions of this endpoint go; the longest-lived one stays."""
    result = plan(
        sub("a", "Inbox", 30),
        sub("dup", "Inbox", 20),
        sub("old-key", "SentItems", 30, url=URL + "?code=old-function-key"),
        sub("expired", "SentItems", -1),
    )
    assert sorted(result.delete) == ["dup", "expired", "old-key"]
    assert result.create == [("helpdesk@example.org", "SentItems")]


def test_another_endpoints_subscriptions_are_left_alone() -> None:
    """Another host or port is another deployment: not deleted, not counted."""
    result = plan(
        sub("other-port", "Inbox", 30, url="http://127.0.0.1:7202/api/notifications"),
        sub("other-host", "SentItems", 30, url="https://old.example.org/api/x"),
    )
    assert (result.delete, result.renew) == ([], [])
    assert sorted(result.foreign) == ["other-host", "other-port"]
    assert result.create == WANTED


def test_the_endpoint_is_compared_without_case_or_trailing_slash() -> None:
    """HTTP://127.0.0.1:7071/api/notifications/ is this endpoint."""
    upper = "HTTP://127.0.0.1:7071/api/notifications/"
    result = plan(sub("a", "Inbox", 30, url=upper))
    assert (result.foreign, result.delete) == ([], ["a"])


def test_folders_match_case_insensitively() -> None:
    """'inbox' from the mail system is the configured 'Inbox'."""
    assert plan(sub("a", "inbox", 30), sub("b", "sentitems", 30)).create == []
