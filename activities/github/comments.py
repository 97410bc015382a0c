"""Comments on issues and pull requests, found again after a lost answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activities.github.rest import RepoApi, parse_time


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
