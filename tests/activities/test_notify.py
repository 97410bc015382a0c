"""NotifyActivities against a local chat: one message per key and target, whatever the retries; the
last attempt gives up without failing; the text carries who, the deadline, the links and the key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from temporalio.exceptions import ApplicationError

from activities.notify import NOTIFY_ATTEMPTS, NotifyActivities, accepted, message
from hotfix.models import NotifyInput, NotifyResult
from service.metrics import NOTIFICATIONS
from tests.activities.helpers import run
from tests.chat_sink import ChatSink, refused_url


def wait(key: str = "hotfix/acme/gaia/x#2:approval") -> NotifyInput:
    return NotifyInput(
        key=key,
        event="approval",
        repository="acme/gaia",
        description="login returns 500",
        awaiting="an approving review on PR #7",
        who=["prod-reviewer-1", "acme/sre"],
        deadline=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
        links={"Pull request": "https://gh/acme/gaia/pull/7", "Temporal": "http://ui/x"},
    )


def send(notifier: NotifyActivities, input: NotifyInput, *, attempt: int = 1) -> NotifyResult:
    """One attempt of the activity, as the worker would run it."""
    return cast(NotifyResult, run(notifier.notify, input, attempt=attempt))


def counted(outcome: str) -> float:
    return NOTIFICATIONS.labels("approval", outcome)._value.get()


def test_the_message_says_who_what_until_when_and_where() -> None:
    title, body = message(wait())
    assert title == "Hotfix acme/gaia: login returns 500 waits for an approving review on PR #7"
    assert "**Who:** @prod-reviewer-1 @acme/sre" in body
    assert "**Deadline:** 2026-11-26 09:30 UTC" in body
    assert "**Pull request:** https://gh/acme/gaia/pull/7" in body and "http://ui/x" in body
    assert body.endswith("_ref hotfix/acme/gaia/x#2:approval_")


def test_a_retry_of_a_sent_key_sends_nothing_again() -> None:
    # A lost answer: Temporal retries an attempt that had sent. This worker remembers the key.
    with ChatSink() as chat:
        notifier = NotifyActivities([chat.url])
        first = send(notifier, wait())
        again = send(notifier, wait(), attempt=2)
        other = send(notifier, wait("hotfix/acme/gaia/x#3:approval"))
    assert (first.sent, again.sent, again.already_sent, other.sent) == (1, 0, 1, 1)
    assert [m["title"] for m in chat.messages].count(message(wait())[0]) == 2  # two keys, two posts
    assert len(chat.messages) == 2


def test_a_retry_sends_only_to_the_targets_not_reached_yet() -> None:
    with ChatSink() as reached, ChatSink(status=500) as refusing:
        notifier = NotifyActivities([reached.url, refusing.url])
        with pytest.raises(ApplicationError, match="1 of 2 target"):
            send(notifier, wait())
        refusing.status = 200  # the chat is back
        result = send(notifier, wait(), attempt=2)
    assert (result.sent, result.already_sent, result.failed) == (1, 1, 0)
    assert len(reached.messages) == 1 and len(refusing.messages) == 1


def test_the_last_attempt_gives_up_without_failing_and_counts_it() -> None:
    notifier = NotifyActivities([refused_url()])
    with pytest.raises(ApplicationError, match="not delivered"):
        send(notifier, wait())
    before = counted("given_up")
    result = send(notifier, wait(), attempt=NOTIFY_ATTEMPTS)
    assert result.failed == 1 and result.sent == 0
    assert counted("given_up") == before + 1


def test_without_targets_the_activity_sends_nothing() -> None:
    notifier = NotifyActivities([])
    assert not notifier.enabled
    assert send(notifier, wait()).sent == 0


def test_only_urls_apprise_knows_are_accepted() -> None:
    assert accepted("json://127.0.0.1:1/hook") and accepted(
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    )
    assert not accepted("nonsense://x") and not accepted("https//typo")
    with pytest.raises(ValueError, match="not an Apprise URL"):
        NotifyActivities(["nonsense://token-123"])
