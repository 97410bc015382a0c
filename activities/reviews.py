"""Whose approval counts: the review decision of a pull request, as the approval wait reports it.

GitHub accepts an approving review from anyone who can read the repository and from bots; the
hotfix counts only an approval of the PR's current head, by a person with write access or more who
wrote none of the fix (and, with HOTFIX_APPROVERS, one of those listed). The rest are named, with
why, so people see what did not count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activities.github.rest import RepoApi, q
from hotfix.models import ReviewState

# Roles that may approve a PR into a protected branch on GitHub.
APPROVING_ROLES = frozenset({"write", "maintain", "admin"})
# How long a looked-up permission or team membership stands before it is asked again.
CACHE_SECONDS = 600.0


def is_bot(user: dict[str, Any] | None) -> bool:
    """Apps and GitHub Actions act as `type: Bot` users whose logins end in `[bot]`."""
    user = user or {}
    return user.get("type") == "Bot" or str(user.get("login") or "").endswith("[bot]")


@dataclass
class ReviewDecision:
    state: ReviewState
    approved_by: list[str]
    changes_requested_by: list[str]
    ignored: list[str]
    flags: list[str]


def review_state(
    pull: dict[str, Any],
    reviews: list[dict[str, Any]],
    *,
    authors: frozenset[str] = frozenset(),
    independent: bool = True,
    required: int = 1,
    may_approve: Callable[[str], str | None] | None = None,
) -> ReviewDecision:
    """The hotfix's review decision from the reviews in order: the latest decisive review per user.

    An approval counts only for the commit it was given on (`commit_id` is the PR's head), only
    from a person (never a bot) who wrote none of the PR's commits (`authors`) when `independent`,
    and only from someone `may_approve` finds allowed (it returns why not, or None).
    COMMENTED (and PENDING drafts) change nothing; DISMISSED withdraws that user's decision; a
    request for changes blocks whatever commit it was given on, as on GitHub.
    """
    head = str((pull.get("head") or {}).get("sha") or "")
    latest: dict[str, dict[str, Any]] = {}
    for review in reviews:
        user = review.get("user") or {}
        login = user.get("login")
        state = str(review.get("state") or "").upper()
        if not login:
            continue
        if state in ("APPROVED", "CHANGES_REQUESTED"):
            latest[login] = review
        elif state == "DISMISSED":
            latest.pop(login, None)
    approved: list[str] = []
    changes: list[str] = []
    ignored: list[str] = []
    flags: list[str] = []
    for login in sorted(latest):
        review = latest[login]
        if str(review.get("state")).upper() == "CHANGES_REQUESTED":
            changes.append(login)
            continue
        given_on = str(review.get("commit_id") or "")
        if is_bot(review.get("user")):
            ignored.append(f"{login}: a bot, not a person")
        elif not given_on or given_on != head:
            ignored.append(
                f"{login}: approved {given_on[:12] or 'an unknown commit'}, not the head {head[:12]}"
            )
        elif login in authors and independent:
            ignored.append(f"{login}: wrote or committed a commit of this hotfix")
        elif may_approve is not None and (why := may_approve(login)):
            ignored.append(why)
        else:
            if login in authors:
                flags.append(f"approved by {login}, who wrote or committed a commit of this hotfix")
            approved.append(login)
    if pull.get("merged"):
        state = ReviewState.MERGED
    elif pull.get("state") == "closed":
        state = ReviewState.CLOSED
    elif changes:
        state = ReviewState.CHANGES_REQUESTED
    elif len(approved) >= max(1, required):
        state = ReviewState.APPROVED
    else:
        state = ReviewState.PENDING
    return ReviewDecision(state, approved, changes, ignored, flags)


def commit_people(commits: list[dict[str, Any]]) -> frozenset[str]:
    """Logins of the authors and committers of `commits`, as GitHub maps their e-mails to users."""
    people: set[str] = set()
    for commit in commits:
        for role in ("author", "committer"):
            login = (commit.get(role) or {}).get("login")
            if login:
                people.add(str(login))
    return frozenset(people)


class Approvers:
    """Who may approve: write access or above on the repository, narrowed by `allowed` (logins and
    `org/team` slugs) when given. Answers are cached per worker for CACHE_SECONDS (thread-safe)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, ...], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def checker(self, api: RepoApi, allowed: list[str]) -> Callable[[str], str | None]:
        def why_not(login: str) -> str | None:
            role = self._role(api, login)
            if role not in APPROVING_ROLES:
                return f"{login}: {role or 'no'} access only, approvals need write access"
            if allowed and not self._listed(api, login, allowed):
                return f"{login}: not one of HOTFIX_APPROVERS ({', '.join(allowed)})"
            return None

        return why_not

    def _role(self, api: RepoApi, login: str) -> str:
        def ask() -> str:
            reply = api.call(
                "GET",
                f"/collaborators/{q(login)}/permission",
                what=f"get the permission of {login}",
                permission="metadata:read",
                expect=(404,),
            )
            data = reply.data if reply.ok and isinstance(reply.data, dict) else {}
            return str(data.get("role_name") or data.get("permission") or "none")

        return str(self._cached(("role", api.repository, login), ask))

    def _listed(self, api: RepoApi, login: str, allowed: list[str]) -> bool:
        if login in allowed:
            return True
        for entry in allowed:
            if "/" not in entry:
                continue
            org, slug = entry.split("/", 1)

            def ask(org: str = org, slug: str = slug) -> bool:
                reply = api.call(
                    "GET",
                    f"/orgs/{q(org)}/teams/{q(slug)}/memberships/{q(login)}",
                    what=f"get the membership of {login} in {org}/{slug}",
                    permission="members:read",
                    expect=(403, 404),
                    top=True,
                )
                return reply.ok and isinstance(reply.data, dict) and reply.data.get("state") == "active"

            if self._cached(("team", org, slug, login), ask):
                return True
        return False

    def _cached(self, key: tuple[str, ...], ask: Callable[[], Any]) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        value = ask()
        with self._lock:
            self._cache[key] = (now, value)
        return value
