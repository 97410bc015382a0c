"""Comments on issues and pull requests, found again after a lost answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity

from activities.github import threads
from activities.github.client import GitHubClient
from activities.github.rest import OnGitHub, RepoApi, parse_time

# GitHub ends a request it has not finished within 10 s ("Timeouts" in GitHub's REST API
# troubleshooting): a write sent by an earlier attempt has landed, or never will, by then.
GITHUB_REQUEST_LIMIT = timedelta(seconds=10)


def after_earlier_attempts(limit: timedelta = GITHUB_REQUEST_LIMIT) -> None:
    """On a retry, wait until what the earlier attempt sent has surely landed or failed on GitHub, so
    a look for it cannot miss a comment GitHub is still writing (and post it twice)."""
    info = activity.info()
    if info.attempt <= 1:
        return
    wait = (info.current_attempt_scheduled_time + limit - datetime.now(UTC)).total_seconds()
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
        made = api.json(
            "POST",
            f"/issues/{number}/comments",
            what=f"comment on #{number}",
            permission="pull_requests:write",
            body={"body": body},
        )
        return int(made["id"])
