"""GitHubWaits: polling activities that loop with heartbeats until GitHub shows something new.

INTERFACE FILE: method names and models are the contract with workflows/hotfix.py.

Each wait looks at GitHub (in a thread: PyGithub blocks), returns when what it sees is final or
differs from what the workflow last saw, and otherwise heartbeats and sleeps one poll interval.
It loops only for most of its start-to-close timeout, then raises a benign "not yet" that the
workflow's retry policy turns into the next poll: nothing stays running while people think for days,
and the workflow history grows by one failure-free retry, not one event per poll.
Cancellation (the workflow's nudge or abort) arrives as CancelledError at the sleep and propagates.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.github.rest import OnGitHub, RepoApi, q, qref, reviewer_names
from activities.log import logger
from hotfix.models import (
    ChecksResult,
    ReviewObservation,
    ReviewState,
    RunObservation,
    WaitChecksInput,
    WaitReviewInput,
    WaitRunInput,
)

T = TypeVar("T")

NOT_YET = "NotYet"
GOOD_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})
# The loop leaves this much of start-to-close unused, so it ends before Temporal times it out.
_MARGIN_SHARE = 0.2
_MARGIN_MAX = timedelta(seconds=60)


def not_yet(what: str) -> ApplicationError:
    # BENIGN: an expected outcome of polling, not an error to alert on.
    return ApplicationError(f"not yet: {what}", type=NOT_YET, category=ApplicationErrorCategory.BENIGN)


def _loop_budget() -> float | None:
    """Seconds this attempt may keep polling, or None when nothing bounds it."""
    info = activity.info()
    timeout = info.start_to_close_timeout or info.schedule_to_close_timeout
    if not timeout:
        return None
    total = timeout.total_seconds()
    return max(0.0, total - min(total * _MARGIN_SHARE, _MARGIN_MAX.total_seconds()))


async def poll(
    observe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    interval: timedelta,
    what: str,
    describe: Callable[[T], str] = str,
) -> T:
    """Observe until `done`; heartbeat between looks; give up with `not_yet` before the timeout."""
    budget = _loop_budget()
    started = time.monotonic()
    seconds = max(interval.total_seconds(), 0.0)
    while True:
        seen = await asyncio.to_thread(observe)
        if done(seen):
            logger("activities.waits").info("wait over", what=what, seen=describe(seen))
            return seen
        if budget is not None and time.monotonic() - started + seconds > budget:
            raise not_yet(what)
        activity.heartbeat(describe(seen))
        await asyncio.sleep(seconds)


def check_state(runs: list[dict[str, Any]], statuses: dict[str, Any] | None) -> tuple[str, list[str]]:
    """("pending" | "success" | "failure" | "none", failed names) from check runs and commit statuses.

    Commit statuses count only when there are some: GitHub reports `pending` for a commit without
    any, which would wait forever on a repository that uses only Actions.
    """
    pending = False
    failed: set[str] = set()
    for run in runs:
        if run.get("status") != "completed":
            pending = True
        elif run.get("conclusion") not in GOOD_CONCLUSIONS:
            failed.add(str(run.get("name")))
    count = 0
    for status in (statuses or {}).get("statuses") or []:
        count += 1
        state = status.get("state")
        if state == "pending":
            pending = True
        elif state in ("failure", "error"):
            failed.add(str(status.get("context")))
    if not runs and not count:
        return "none", []
    if pending:
        return "pending", sorted(failed)
    return ("failure" if failed else "success"), sorted(failed)


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
) -> ReviewDecision:
    """The hotfix's review decision from the reviews in order: the latest decisive review per user.

    An approval counts only for the commit it was given on (`commit_id` is the PR's head), and only
    from a person (never a bot) who wrote none of the PR's commits (`authors`) when `independent`.
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


class GitHubWaits(OnGitHub):
    @activity.defn
    async def wait_checks(self, input: WaitChecksInput) -> ChecksResult:
        """Until every check on the head of `ref` has completed, on a head other than `not_sha`.

        A head with no check runs and no commit statuses is waited on: CI may not have started
        yet, and "no checks" must not pass as "green". A repository without any CI therefore waits
        until the step's timeout; give it a check (even a trivial workflow) to use hotfixes.
        """
        api = self._api(input.repository)

        def observe() -> tuple[str, str, list[str]]:
            head = self._head(api, input.ref)
            if head == input.not_sha:
                return head, "old head", []
            runs = list(
                api.pages(
                    f"/commits/{head}/check-runs",
                    what=f"list check runs of {head[:12]}",
                    key="check_runs",
                    permission="checks:read",
                )
            )
            statuses = api.json(
                "GET",
                f"/commits/{head}/status",
                what=f"get combined status of {head[:12]}",
                permission="statuses:read",
            )
            state, failed = check_state(runs, statuses)
            return head, state, failed

        head, state, failed = await poll(
            observe,
            lambda seen: seen[1] in ("success", "failure"),
            interval=input.poll_interval,
            what=f"checks on {input.ref}",
            describe=lambda seen: f"{seen[0][:12]} {seen[1]}",
        )
        return ChecksResult(head_sha=head, conclusion=state, failed=failed)

    def _head(self, api: RepoApi, ref: str) -> str:
        reply = api.call("GET", f"/git/ref/heads/{qref(ref)}", what=f"get ref heads/{ref}", expect=(404,))
        if reply.ok and isinstance(reply.data, dict) and reply.data.get("object"):
            return str(reply.data["object"]["sha"])
        # Not a branch: a tag or a sha, which GitHub resolves for us.
        return str(api.json("GET", f"/commits/{q(ref)}", what=f"resolve {ref}")["sha"])

    @activity.defn
    async def wait_review(self, input: WaitReviewInput) -> ReviewObservation:
        """Until the PR's review state, head, reviewers or mergeability differ from `last`."""
        api = self._api(input.repository)
        last = input.last

        def observe() -> ReviewObservation:
            pull = api.json(
                "GET",
                f"/pulls/{input.number}",
                what=f"get pull request #{input.number}",
                permission="pull_requests:read",
            )
            reviews = list(
                api.pages(
                    f"/pulls/{input.number}/reviews",
                    what=f"list reviews of #{input.number}",
                    permission="pull_requests:read",
                )
            )
            commits = list(
                api.pages(
                    f"/pulls/{input.number}/commits",
                    what=f"list commits of #{input.number}",
                    permission="pull_requests:read",
                )
            )
            decision = review_state(
                pull,
                reviews,
                authors=commit_people(commits),
                independent=input.independent,
                required=input.required_approvals,
            )
            mergeable = pull.get("mergeable")
            if mergeable is None and last is not None:
                # null means GitHub is still computing it: nothing new to report.
                mergeable = last.mergeable
            return ReviewObservation(
                state=decision.state,
                head_sha=str((pull.get("head") or {}).get("sha") or ""),
                approved_by=decision.approved_by,
                changes_requested_by=decision.changes_requested_by,
                mergeable=mergeable,
                base_ref=(pull.get("base") or {}).get("ref"),
                merge_commit_sha=pull.get("merge_commit_sha") if pull.get("merged") else None,
                ignored_approvals=decision.ignored,
                flags=decision.flags,
            )

        return await poll(
            observe,
            lambda seen: seen != last,
            interval=input.poll_interval,
            what=f"reviews of #{input.number}",
            describe=lambda seen: f"{seen.state.value} {seen.head_sha[:12]}",
        )

    @activity.defn
    async def wait_run(self, input: WaitRunInput) -> RunObservation:
        """Until the run completes or its status, conclusion or awaited reviewers change."""
        api = self._api(input.repository)
        last = input.last

        def observe() -> RunObservation:
            run = api.json(
                "GET",
                f"/actions/runs/{input.run_id}",
                what=f"get run {input.run_id}",
                permission="actions:read",
            )
            reviewers: list[str] = []
            if run.get("status") == "waiting":
                reviewers = self._pending_reviewers(api, input)
            rejected = False
            if run.get("status") == "completed" and run.get("conclusion") != "success":
                rejected = self._rejected(api, input)
            return RunObservation(
                status=str(run.get("status")),
                conclusion=run.get("conclusion"),
                html_url=str(run.get("html_url") or ""),
                head_sha=run.get("head_sha"),
                pending_reviewers=reviewers,
                rejected=rejected,
            )

        return await poll(
            observe,
            lambda seen: seen.status == "completed" or seen != last,
            interval=input.poll_interval,
            what=f"run {input.run_id}",
            describe=lambda seen: f"{seen.status} {seen.conclusion or ''}".strip(),
        )

    def _rejected(self, api: RepoApi, input: WaitRunInput) -> bool:
        """Whether the latest review of the run's deployments rejected it (GitHub lists them in order)."""
        approvals = api.json(
            "GET",
            f"/actions/runs/{input.run_id}/approvals",
            what=f"get approvals of run {input.run_id}",
            permission="actions:read",
        )
        return bool(approvals) and approvals[-1].get("state") == "rejected"

    def _pending_reviewers(self, api: RepoApi, input: WaitRunInput) -> list[str]:
        pending = api.json(
            "GET",
            f"/actions/runs/{input.run_id}/pending_deployments",
            what=f"get pending deployments of run {input.run_id}",
            permission="actions:read",
        )
        items = [p for p in pending or [] if (p.get("environment") or {}).get("name") == input.environment]
        names: set[str] = set()
        for item in items or (pending or []):
            names.update(reviewer_names(input.repository, item.get("reviewers") or []))
        return sorted(names)
