"""Comments on issues and pull requests, found again after a lost answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.github import errors, threads
from activities.github.client import GitHubClient
from activities.github.rest import OnGitHub, RepoApi, parse_time

# GitHub ends a request it has not finished within 10 s ("Timeouts" in GitHub's REST API
# troubleshooting): a write sent by an earlier attempt has landed, or never will, by then.
GITHUB_REQUEST_LIMIT = timedelta(seconds=10)
# How long a live worker may go between two heartbeats that reach Temporal: the worker beats every 2 s
# (threads.BEAT_EVERY) and the SDK sends at most one each 2 s (worker.HEARTBEAT_THROTTLE).
HEARTBEAT_SLACK = timedelta(seconds=4)


@contextmanager
def retried_after_landing(limit: timedelta = GITHUB_REQUEST_LIMIT) -> Iterator[None]:
    """A write whose answer was lost (no answer, a timeout, a 5xx) is retried no sooner than GitHub can
    still be making it: the retry's look for what it made then cannot miss it."""
    sent = time.monotonic()
    try:
        yield
    except ApplicationError as err:
        left = limit.total_seconds() - (time.monotonic() - sent)
        asked = err.next_retry_delay.total_seconds() if err.next_retry_delay else 0.0
        if err.non_retryable or left <= asked:
            raise
        raise errors.delayed(err, timedelta(seconds=left)) from None


def after_earlier_attempts(limit: timedelta = GITHUB_REQUEST_LIMIT) -> None:
    """On a retry, wait until what an earlier attempt sent has surely landed or failed on GitHub, so
    a look for it cannot miss a comment or a run GitHub is still making (and make it twice).

    An earlier attempt ended in one of two ways. It failed after its write, and then asked for its
    retry no sooner than the write's landing (`retried_after_landing`). Or its worker died or froze:
    then Temporal heard nothing from it for the whole heartbeat timeout before scheduling this
    attempt, and it cannot have sent anything later than the last HEARTBEAT_SLACK before that silence
    began, so only what is left of the limit after the heartbeat timeout is waited here. Without a
    heartbeat timeout, the whole limit. (A worker cut off from Temporal but not from GitHub, still
    writing after its timeout, is beyond any wait; the dispatch cancels a stray run it made.)
    """
    info = activity.info()
    if info.attempt <= 1:
        return
    settle = limit
    if info.heartbeat_timeout:
        settle = max(timedelta(0), limit + HEARTBEAT_SLACK - info.heartbeat_timeout)
    wait = (info.current_attempt_scheduled_time + settle - datetime.now(UTC)).total_seconds()
    if wait > 0:
        threads.doing("waiting until an earlier attempt's write has surely landed")
        threads.pause(wait)


def recent_comment(api: RepoApi, lookback: timedelta, number: int, body: str) -> int | None:
    """The id of a comment with exactly `body` posted on #number within `lookback`, if any."""
    since = datetime.now(UTC) - lookback
    for item in api.pages(
        f"/issues/{number}/comments",
        what=f"list comments on #{number}",
        params={"since": since.strftime("%Y-%m-%dT%H:%M:%SZ")},
        permission="pull_requests:read",
    ):
        created = parse_time(item.get("created_at"))
        # Filtered here too: `since` is about updates, and not every server honours it.
        if created is not None and created < since:
            continue
        if str(item.get("body") or "").strip() == body.strip():
            return int(item["id"])
    return None


class CommentsOnGitHub(OnGitHub):
    """Base of the activity classes that comment: each comment is posted once, however retried."""

    def __init__(
        self,
        github: GitHubClient,
        *,
        comment_lookback: timedelta = timedelta(minutes=30),
        request_limit: timedelta = GITHUB_REQUEST_LIMIT,
    ) -> None:
        """`comment_lookback`: how far back a retried comment looks for its own earlier post;
        `request_limit`: how long GitHub may still be writing what an earlier attempt sent."""
        super().__init__(github)
        self._comment_lookback = comment_lookback
        self._request_limit = request_limit

    def _comment_once(self, api: RepoApi, number: int, body: str, *, look: bool = False) -> int:
        """Post `body` on #number unless an earlier attempt did (looked for on retries, or always with
        `look`); the comment's id."""
        if look or activity.info().attempt > 1:
            after_earlier_attempts(self._request_limit)
            earlier = recent_comment(api, self._comment_lookback, number, body)
            if earlier is not None:
                return earlier
        with retried_after_landing(self._request_limit):
            made = api.json(
                "POST",
                f"/issues/{number}/comments",
                what=f"comment on #{number}",
                permission="pull_requests:write",
                body={"body": body},
            )
        return int(made["id"])
