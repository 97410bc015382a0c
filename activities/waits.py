"""GitHubWaits: polling activities, each attempt one look at GitHub, retried until GitHub shows something new.

INTERFACE FILE: method names and models are the contract with workflows/hotfix.py.

Polling by retry: each attempt looks at GitHub once (in a GitHub thread, threads.py: PyGithub blocks)
and returns when what it sees is final or differs from what the workflow last saw; otherwise it fails
with a benign "not yet" that asks Temporal to try again one poll interval later (`next_retry_delay`).
Between looks nothing runs in any worker: the server's retry timer waits, so a waiting hotfix holds
no slot, no coroutine and no thread, a worker killed between looks costs nothing (the next look runs
on whichever worker polls), and a nudge or an abort cancels the waiting retry at once. A worker
killed *during* a look is noticed by the heartbeat timeout (the look heartbeats every couple of
seconds, threads.py) and the look retried a second later (#9 item 2). The history grows by no event
per look: retries are not recorded, only the attempt that completes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.checks import CheckVerdict, verdict
from activities.github import conditional, errors
from activities.github.client import GitHubClient
from activities.github.refs import branch_head
from activities.github.rest import OnGitHub, RepoApi, q, reviewer_names
from activities.github.threads import GitHubThreads
from activities.log import logger
from activities.reviews import Approvers, commit_people, review_state
from activities.runs import cancel_strays, runs_of, since_dispatch
from hotfix.models import (
    NOT_YET,
    ChecksResult,
    PullRequestRef,
    ReviewObservation,
    ReviewState,
    RunObservation,
    WaitChecksInput,
    WaitReviewInput,
    WaitRunInput,
)

T = TypeVar("T")
# A look the stopping worker did not take: another worker takes it at once.
HANDED_BACK = timedelta(seconds=1)


def not_yet(what: str, again: timedelta) -> ApplicationError:
    """The benign failure that makes Temporal look again `again` later (not an error to alert on)."""
    return ApplicationError(
        f"not yet: {what}", type=NOT_YET, category=ApplicationErrorCategory.BENIGN, next_retry_delay=again
    )


def _paced(err: Exception, interval: timedelta) -> ApplicationError:
    """A failed look, retried at the poll's pace (or GitHub's, when it said how long to wait): a retry
    policy paced for a killed worker (a second) would otherwise hammer a GitHub that is down."""
    if isinstance(err, ApplicationError):
        if err.non_retryable or err.next_retry_delay is not None:
            return err
        return errors.delayed(err, interval)
    return ApplicationError(
        f"{type(err).__name__}: {err}", type=type(err).__name__, next_retry_delay=interval
    )


async def poll(
    threads: GitHubThreads,
    observe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    interval: timedelta,
    what: str,
    describe: Callable[[T], str] = str,
    api: RepoApi | None = None,
) -> T:
    """One look: what `observe` sees when it is `done`, else `not_yet`, retried one interval later.

    With `api`, the look is conditional (activities/github/conditional.py): when every GET of the
    previous attempt's look answers 304, nothing changed, and the attempt ends there, for free.
    """
    in_activity = activity.in_activity()
    if in_activity and activity.is_worker_shutdown():
        # A look is harmless to move: the stopping worker leaves it to another at once.
        logger("activities.waits").info("poll handed back: the worker is stopping", what=what)
        raise not_yet(what, HANDED_BACK)
    previous = conditional.from_heartbeat(activity.info().heartbeat_details) if in_activity and api else []
    look = conditional.Look(previous=previous)
    token = conditional.begin(look) if api is not None else None
    try:
        if api is not None and previous and await threads.run(api.unchanged, look):
            _keep(look.details() or {conditional.DETAIL: [[s.url, s.params, s.etag] for s in previous]})
            raise not_yet(f"{what} (unchanged)", interval)
        seen = await threads.run(observe)
    except Exception as err:
        raise _paced(err, interval) from None
    finally:
        if token is not None:
            conditional.end(token)
    if done(seen):
        logger("activities.waits").info("wait over", what=what, seen=describe(seen))
        return seen
    details = look.details()
    if details is not None:
        _keep(details)
    raise not_yet(f"{what} ({describe(seen)})", interval)


def _keep(details: dict[str, Any]) -> None:
    """Hand the look's ETags to the next attempt (the heartbeat's first detail stays the note)."""
    if activity.in_activity():
        activity.heartbeat("polling: a conditional look (ETags) next", details)


class GitHubWaits(OnGitHub):
    def __init__(self, github: GitHubClient, *, safety_net: timedelta | None = None) -> None:
        super().__init__(github)
        # Who may approve, looked up once in a while per worker: permissions rarely change mid-hotfix.
        self._approvers = Approvers()
        # With webhooks (HOTFIX_WEBHOOKS), a nudge brings the next look; polls are only the safety
        # net for a lost delivery or a receiver that is down, at least this far apart.
        self._safety_net = safety_net

    def _interval(self, asked: timedelta) -> timedelta:
        return asked if self._safety_net is None else max(asked, self._safety_net)

    @activity.defn
    async def wait_checks(self, input: WaitChecksInput) -> ChecksResult:
        """Until every check on the head of `ref` has completed, on a head other than `not_sha`.

        A head with no check runs and no commit statuses is waited on: CI may not have started
        yet, and "no checks" must not pass as "green". A repository without any CI therefore waits
        until the step's timeout; give it a check (even a trivial workflow) to use hotfixes.
        """
        api = self._api(input.repository)

        def observe() -> CheckVerdict:
            head = self._head(api, input.ref)
            if head == input.not_sha:
                return CheckVerdict(head_sha=head, state="old head")
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
            suites = None
            if input.required is not None and not input.required:
                # No required checks configured: every suite CI starts must finish green.
                suites = list(
                    api.pages(
                        f"/commits/{head}/check-suites",
                        what=f"list check suites of {head[:12]}",
                        key="check_suites",
                        permission="checks:read",
                    )
                )
            return verdict(head, runs, statuses, input.required, suites)

        seen = await poll(
            self.github_threads,
            observe,
            lambda seen: seen.state in ("success", "failure"),
            interval=self._interval(input.poll_interval),
            api=api,
            what=f"checks on {input.ref}",
            describe=lambda seen: f"{seen.head_sha[:12]} {seen.state}",
        )
        return ChecksResult(
            head_sha=seen.head_sha,
            conclusion="success" if seen.state == "success" else "failure",
            failed=seen.failed,
            warnings=seen.warnings,
        )

    def _head(self, api: RepoApi, ref: str) -> str:
        head = branch_head(api, ref)
        if head is not None:
            return head
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
            authors = commit_people(commits)
            decision = review_state(
                pull,
                reviews,
                authors=authors,
                independent=input.independent,
                required=input.required_approvals,
                may_approve=self._approvers.checker(api, input.approvers),
            )
            successor = None
            if decision.state == ReviewState.CLOSED:
                successor = self._successor(api, pull, input.number)
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
                authors=sorted(authors),
                requested_reviewers=sorted(
                    [str(u.get("login")) for u in pull.get("requested_reviewers") or [] if u.get("login")]
                    + [
                        f"{input.repository.split('/', 1)[0]}/{t.get('slug')}"
                        for t in pull.get("requested_teams") or []
                        if t.get("slug")
                    ]
                ),
                successor=successor,
            )

        return await poll(
            self.github_threads,
            observe,
            lambda seen: seen != last,
            interval=self._interval(input.poll_interval),
            api=api,
            what=f"reviews of #{input.number}",
            describe=lambda seen: f"{seen.state.value} {seen.head_sha[:12]}",
        )

    @staticmethod
    def _successor(api: RepoApi, pull: dict[str, Any], number: int) -> PullRequestRef | None:
        """The oldest open PR from the closed PR's head branch: what people open after closing one."""
        label = (pull.get("head") or {}).get("label")
        if not label:
            return None
        found = [
            p
            for p in api.pages(
                "/pulls",
                what=f"list open pull requests from {label}",
                params={"state": "open", "head": label, "sort": "created", "direction": "asc"},
                permission="pull_requests:read",
            )
            if p.get("number") != number
        ]
        if not found:
            return None
        return PullRequestRef(number=int(found[0]["number"]), url=str(found[0]["html_url"]), created=False)

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
            approved_by: list[str] = []
            if run.get("status") == "completed":
                rejected, approved_by = self._reviews_of_run(api, input)
                rejected = rejected and run.get("conclusion") != "success"
            cancelled: list[int] = []
            if input.dispatch is not None and (last is None or last.status != run.get("status")):
                # A retried dispatch whose first answer came late made a second run: cancel it before
                # someone approves it (it would deploy again, outside every guard).
                since = since_dispatch(input.dispatch)
                runs = runs_of(api, input.dispatch, since, self._github.login())
                cancelled = cancel_strays(api, runs, keep=input.run_id)
            return RunObservation(
                status=str(run.get("status")),
                conclusion=run.get("conclusion"),
                html_url=str(run.get("html_url") or ""),
                head_sha=run.get("head_sha"),
                pending_reviewers=reviewers,
                rejected=rejected,
                approved_by=approved_by,
                cancelled=cancelled,
            )

        return await poll(
            self.github_threads,
            observe,
            lambda seen: seen.status == "completed" or seen != last,
            interval=self._interval(input.poll_interval),
            api=api,
            what=f"run {input.run_id}",
            describe=lambda seen: f"{seen.status} {seen.conclusion or ''}".strip(),
        )

    def _reviews_of_run(self, api: RepoApi, input: WaitRunInput) -> tuple[bool, list[str]]:
        """(rejected, who approved) from the run's deployment reviews.

        GitHub gives these reviews no timestamps and no documented order, so "the last one" means
        nothing: the run counts as rejected only when every review rejected it (then nothing ran).
        """
        approvals = api.json(
            "GET",
            f"/actions/runs/{input.run_id}/approvals",
            what=f"get approvals of run {input.run_id}",
            permission="actions:read",
        )
        reviews = list(approvals or [])
        rejected = bool(reviews) and all(r.get("state") == "rejected" for r in reviews)
        approvers = sorted(
            {str((r.get("user") or {}).get("login")) for r in reviews if r.get("state") == "approved"}
            - {"None"}
        )
        return rejected, approvers

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
