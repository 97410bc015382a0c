"""A retried write waits until what its earlier attempt sent has surely landed on GitHub, and no longer."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.github import comments, errors
from activities.github.comments import GITHUB_REQUEST_LIMIT, after_earlier_attempts, retried_after_landing


def _settle(monkeypatch: pytest.MonkeyPatch, **info: Any) -> float:
    """The seconds `after_earlier_attempts` pauses, in an activity with this info."""
    paused: list[float] = []
    monkeypatch.setattr(comments.threads, "pause", paused.append)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, current_attempt_scheduled_time=datetime.now(UTC), **info)
    env.run(after_earlier_attempts)
    return paused[0] if paused else 0.0


def test_a_first_attempt_does_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settle(monkeypatch, attempt=1, heartbeat_timeout=None) == 0.0


def test_without_a_heartbeat_a_retry_waits_the_whole_request_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settle(monkeypatch, attempt=2, heartbeat_timeout=None) == pytest.approx(10.0, abs=0.5)


def test_after_a_heartbeat_timeout_only_what_is_left_of_the_limit_is_waited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The dead worker was silent for the 10 s timeout but its last 4 s of beats: 10 + 4 - 10 = 4 s left.
    assert _settle(monkeypatch, attempt=2, heartbeat_timeout=timedelta(seconds=10)) == pytest.approx(
        4.0, abs=0.5
    )
    assert _settle(monkeypatch, attempt=3, heartbeat_timeout=timedelta(seconds=20)) == 0.0


def test_a_write_whose_answer_was_lost_is_retried_only_once_it_has_landed() -> None:
    # The retry's shortened settle relies on this: a failure after the write asks for the rest itself.
    with pytest.raises(ApplicationError) as caught, retried_after_landing():
        raise errors.network_error(ConnectionResetError(), "acme/gaia-gateway", "comment on #1")
    assert caught.value.type == errors.UNAVAILABLE and not caught.value.non_retryable
    delay = caught.value.next_retry_delay
    assert delay is not None and GITHUB_REQUEST_LIMIT - timedelta(seconds=1) < delay <= GITHUB_REQUEST_LIMIT


def test_a_longer_wait_github_asked_for_is_kept() -> None:
    asked = errors._error("rate limited", errors.RATE_LIMITED, retryable=True, delay=timedelta(seconds=60))
    with pytest.raises(ApplicationError) as caught, retried_after_landing():
        raise asked
    assert caught.value is asked


def test_a_refusal_for_good_is_not_delayed() -> None:
    refused = errors._error("forbidden", errors.FORBIDDEN)
    with pytest.raises(ApplicationError) as caught, retried_after_landing():
        raise refused
    assert caught.value is refused and caught.value.next_retry_delay is None
