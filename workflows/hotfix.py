"""HotfixWorkflow: the runbook's nine steps, in order, as one durable workflow.

`run()` reads like the runbook. Each step is a short method; every GitHub action is an activity
(activities/github.py) and every wait for a human is a polling activity (activities/waits.py)
raced against signals, a reminder timer and the step's deadline. GitHub is the source of truth:
a signal only makes the workflow look again at once, it never stands in for an approval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.github import GitHubActivities
    from activities.lane import LaneActivities
    from activities.waits import GitHubWaits
    from hotfix import naming, render, search_attributes
    from hotfix.models import (
        AbortSignal,
        ChangesReadySignal,
        CherryPickInput,
        CleanupInput,
        CommentInput,
        CompareInput,
        CreateBranchInput,
        DispatchInput,
        FindBaseInput,
        FindBaseResult,
        HotfixRequest,
        HotfixResult,
        HotfixStatus,
        LaneGrantSignal,
        LaneInput,
        LaneReleaseSignal,
        MergeInput,
        OpenPullRequestInput,
        PreflightInput,
        PreflightResult,
        PullRequestRef,
        RecheckSignal,
        RetryDeploySignal,
        ReviewObservation,
        ReviewState,
        RunInput,
        RunObservation,
        Step,
        StepEvent,
        WaitChecksInput,
        WaitReviewInput,
        WaitRunInput,
    )

T = TypeVar("T")

# GitHub calls: retried until they succeed; errors that no retry can fix are raised non-retryable
# by the activities and handed to a human (see `_act`).
IO_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
)
# Versions of the workflow code that running hotfixes must replay through (see README, "Upgrading").
# 1: an abort no longer waits for a GitHub action that is still retrying.
ABORT_INTERRUPTS_ACTIONS = "abort-interrupts-actions"
# 2: a deploy run that failed without a rejection counts as deployed, so an abort deletes nothing.
FAILED_RUN_MAY_HAVE_DEPLOYED = "failed-run-may-have-deployed"

# Cherry-picks and dispatch (which may look for its run a few times) take longer than one call.
SLOW = 5

# Wait steps whose deadline comes from the settings, by the step they guard.
RUN_ACTIVE = ("queued", "requested", "pending", "in_progress")


class _Stop(Exception):
    """Ends the hotfix early: aborted by a human, or a wait's deadline passed."""

    def __init__(self, step: Step, reason: str) -> None:
        super().__init__(reason)
        self.step = step
        self.reason = reason


def _non_retryable(err: ActivityError) -> ApplicationError | None:
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.non_retryable:
        return cause
    return None


@workflow.defn
class HotfixWorkflow:
    @workflow.init
    def __init__(self, request: HotfixRequest) -> None:
        settings = request.settings
        self._request = request
        self._settings = settings
        self._status = HotfixStatus(
            workflow_id=workflow.info().workflow_id,
            repository=request.repository,
            description=request.description,
            requested_by=request.requested_by,
            work_branch=naming.work_branch(settings.work_branch_prefix, request.day, request.description),
            prod_branch=naming.prod_branch(settings.prod_branch_prefix, request.day, request.description),
        )
        # Human input arrives as signals at any time, even before run() starts; keep it as state.
        self._nudges = 0
        self._changes_ready = 0
        self._retry_deploy = 0
        self._abort: AbortSignal | None = None
        self._lane: LaneGrantSignal | None = None
        self._in_lane = False
        self._branches_made: list[str] = []
        self._deploy_started = False
        self._reminder_pr: int | None = None
        self._next_reminder: datetime | None = None
        self._preflight: PreflightResult | None = None

    # -----------------------------------------------------------------------------------------
    # The runbook
    # -----------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: HotfixRequest) -> HotfixResult:
        workflow.upsert_search_attributes([search_attributes.REPOSITORY.value_set(request.repository)])
        try:
            await self._preflight_checks()  # 0
            await self._queue_behind_earlier_hotfixes()
            await self._cut_branches()  # 1-2
            await self._make_changes()  # 3
            await self._wait_for_green_checks()  # 4
            await self._open_pull_request()  # 5
            await self._approve_and_merge()  # 6
            await self._dispatch_deploy()  # 7
            await self._wait_for_deployment()  # 8
            await self._release_lane()
            await self._back_merge()  # 9
            self._set_step(Step.DONE)
        except _Stop as stop:
            await self._wind_down(stop.step, stop.reason)
        except (asyncio.CancelledError, CancelledError):
            # Cancelling from the UI is an abort: clean up the same way, then end as cancelled.
            await self._wind_down(Step.ABORTED, "workflow cancelled")
            raise
        except ActivityError as err:
            cause = _non_retryable(err)
            reason = cause.message if cause else str(err)
            self._status.reason = reason
            self._set_step(Step.FAILED)
            await self._release_lane()
            raise ApplicationError(f"hotfix failed: {reason}", non_retryable=True) from err
        await workflow.wait_condition(workflow.all_handlers_finished)
        return HotfixResult(status=self._status)

    async def _preflight_checks(self) -> None:
        self._set_step(Step.PREFLIGHT)
        result: PreflightResult = await self._act(
            GitHubActivities.preflight,
            PreflightInput(
                repository=self._request.repository,
                settings=self._settings,
                prod_branch=self._status.prod_branch,
            ),
        )
        self._preflight = result
        self._status.default_branch = self._settings.back_merge_branch or result.default_branch
        self._status.warnings = list(result.warnings)
        failed = [check for check in result.checks if check.outcome == "fail"]
        if failed:
            detail = "; ".join(
                f"{c.name}: {c.detail}" + (f" (fix: {c.fix})" if c.fix else "") for c in failed
            )
            self._status.reason = f"preflight failed: {detail}"
            self._set_step(Step.FAILED)
            raise ApplicationError(self._status.reason, type="PreflightFailed", non_retryable=True)

    async def _queue_behind_earlier_hotfixes(self) -> None:
        """The runbook's important note: one hotfix per repository at a time, each on the last deployed."""
        self._set_step(Step.QUEUED)
        await self._act(
            LaneActivities.enqueue,
            LaneInput(repository=self._request.repository, workflow_id=self._status.workflow_id),
        )
        self._in_lane = True
        self._status.awaiting = "earlier hotfixes of this repository to be deployed or withdrawn"
        await self._until(lambda: self._lane is not None and self._lane.granted, deadline=None)
        self._status.queued_behind = None

    async def _cut_branches(self) -> None:
        self._set_step(Step.BRANCHES)
        base: FindBaseResult = await self._act(GitHubActivities.find_base, self._find_base_input())
        self._status.base_sha, self._status.base_ref, self._status.base_source = (
            base.sha,
            base.ref,
            base.source,
        )
        # The working branch first: the prod branch is the one people deploy from.
        for branch in (self._status.work_branch, self._status.prod_branch):
            await self._act(
                GitHubActivities.create_branch,
                CreateBranchInput(repository=self._request.repository, branch=branch, sha=base.sha),
            )
            self._branches_made.append(branch)
        self._publish()

    async def _make_changes(self) -> None:
        self._set_step(Step.CHANGES)
        if self._request.cherry_picks:
            picked = await self._act(
                GitHubActivities.cherry_pick,
                CherryPickInput(
                    repository=self._request.repository,
                    branch=self._status.work_branch,
                    shas=self._request.cherry_picks,
                ),
                slow=True,
            )
            if picked.conflict_sha:
                files = ", ".join(picked.conflict_files) or "unknown files"
                self._status.message = (
                    f"cherry-pick of {picked.conflict_sha[:12]} conflicts in {files}: resolve it on "
                    f"{self._status.work_branch}, push, then send changes_ready"
                )
            else:
                self._status.message = (
                    f"cherry-picked {len(picked.applied)} commit(s)"
                    + (f", {len(picked.skipped_empty)} already present" if picked.skipped_empty else "")
                    + "; review them, then send changes_ready"
                )
        self._await_who(
            f"commits on {self._status.work_branch}, then the changes_ready signal",
            [self._request.requested_by],
        )
        deadline = workflow.now() + self._settings.changes_timeout
        seen = 0
        while True:
            await self._until(
                partial(self._count_above, "_changes_ready", seen), deadline=deadline, what="changes"
            )
            seen = self._changes_ready
            diff = await self._act(
                GitHubActivities.compare,
                CompareInput(
                    repository=self._request.repository,
                    base=self._status.base_sha or "",
                    head=self._status.work_branch,
                ),
            )
            if diff.ahead_by > 0:
                self._status.message = f"{diff.ahead_by} commit(s) on {self._status.work_branch}"
                return
            self._status.message = (
                f"no changes yet: {self._status.work_branch} has no commits beyond the base; "
                "push them, then send changes_ready again"
            )
            self._publish()

    async def _wait_for_green_checks(self) -> None:
        self._set_step(Step.TESTS)
        self._await_who(f"every check on {self._status.work_branch} to pass", [])
        deadline = workflow.now() + self._settings.changes_timeout
        not_sha: str | None = None
        while True:
            checks = await self._poll(
                GitHubWaits.wait_checks,
                partial(self._checks_input, not_sha),
                deadline=deadline,
                what="green checks",
            )
            if checks.conclusion == "success":
                self._status.message = f"checks green on {checks.head_sha[:12]}"
                return
            not_sha = checks.head_sha
            self._status.message = (
                f"checks failed on {checks.head_sha[:12]}: {', '.join(checks.failed) or 'unknown'}; "
                f"push a fix to {self._status.work_branch}"
            )
            self._await_who(f"a fix pushed to {self._status.work_branch} and green checks", [])

    async def _open_pull_request(self) -> None:
        self._set_step(Step.PULL_REQUEST)
        self._status.pull_request = await self._act(
            GitHubActivities.open_pull_request,
            OpenPullRequestInput(
                repository=self._request.repository,
                head=self._status.work_branch,
                base=self._status.prod_branch,
                title=f"Hotfix: {self._request.description}",
                body=self._pr_body(),
            ),
        )

    async def _approve_and_merge(self) -> None:
        self._set_step(Step.APPROVAL)
        pr = self._require(self._status.pull_request)
        self._await_who(f"an approving review on PR #{pr.number}", [])
        self._start_reminders(pr.number)
        deadline = workflow.now() + self._settings.approval_timeout
        last: ReviewObservation | None = None
        while True:
            review: ReviewObservation = await self._poll(
                GitHubWaits.wait_review,
                partial(self._review_input, pr.number, last),
                deadline=deadline,
                what="PR approval",
            )
            last = review
            if review.state == ReviewState.MERGED:
                self._status.message = f"PR #{pr.number} was merged on GitHub"
                break
            if review.state == ReviewState.CLOSED:
                raise _Stop(Step.ABORTED, f"PR #{pr.number} was closed on GitHub without merging")
            if review.state == ReviewState.CHANGES_REQUESTED:
                self._status.message = f"changes requested by {', '.join(review.changes_requested_by)}"
                self._await_who(
                    f"the requested changes on PR #{pr.number} and a new approval",
                    review.changes_requested_by,
                )
                continue
            if review.state != ReviewState.APPROVED:
                continue
            # Merge exactly the head GitHub showed as approved; a newer head waits for a new look.
            merged = await self._act(
                GitHubActivities.merge_pull_request,
                MergeInput(
                    repository=self._request.repository,
                    number=pr.number,
                    sha=review.head_sha,
                    title=f"Hotfix: {self._request.description}",
                ),
            )
            if merged.merged:
                self._status.message = (
                    f"PR #{pr.number} approved by {', '.join(review.approved_by)} and merged"
                )
                break
            self._status.message = (
                f"merge of PR #{pr.number} refused: {merged.message}; send recheck when fixed"
            )
            self._publish()
        self._stop_reminders()

    async def _dispatch_deploy(self) -> None:
        self._set_step(Step.DEPLOY)
        await self._drift_guard()
        # Fixed once, in workflow time, so a retried dispatch recognises the run it already made.
        not_before = workflow.now()
        run = await self._act(
            GitHubActivities.dispatch_deploy,
            DispatchInput(
                repository=self._request.repository,
                workflow=self._settings.deploy_workflow,
                ref=self._status.prod_branch,
                not_before=not_before,
            ),
            slow=True,
        )
        self._status.run_id, self._status.run_url = run.run_id, run.url
        self._publish()

    async def _drift_guard(self) -> None:
        """Never deploy a prod branch that lacks what production runs now: that would un-deploy it."""
        while True:
            live: FindBaseResult = await self._act(
                GitHubActivities.find_base, self._find_base_input(explicit=False)
            )
            diff = await self._act(
                GitHubActivities.compare,
                CompareInput(
                    repository=self._request.repository, base=live.sha, head=self._status.prod_branch
                ),
            )
            if diff.status in ("ahead", "identical"):
                return
            self._status.message = (
                f"drift: {self._settings.environment} now runs {live.sha[:12]} ({live.ref}), which "
                f"{self._status.prod_branch} does not contain; deploying would roll it back. Merge it into "
                f"{self._status.prod_branch} and send recheck, or abort"
            )
            self._await_who("a human to resolve the drift", [self._request.requested_by])
            nudges = self._nudges
            await self._until(partial(self._count_above, "_nudges", nudges), deadline=None)

    async def _wait_for_deployment(self) -> None:
        run_id = self._require(self._status.run_id)
        last: RunObservation | None = None
        deadline = workflow.now() + self._settings.deploy_approval_timeout
        self._set_step(Step.DEPLOY_APPROVAL)
        self._await_who(f"approval of deploy run {run_id} for {self._settings.environment}", [])
        while True:
            run: RunObservation = await self._poll(
                GitHubWaits.wait_run,
                partial(self._run_input, run_id, last),
                deadline=deadline,
                what="deployment",
            )
            last = run
            self._status.run_url = run.html_url
            if run.status == "waiting":
                if self._status.step != Step.DEPLOY_APPROVAL:
                    self._set_step(Step.DEPLOY_APPROVAL)
                    deadline = workflow.now() + self._settings.deploy_approval_timeout
                self._await_who(
                    f"approval of deploy run {run_id} for {self._settings.environment}",
                    run.pending_reviewers,
                )
            elif run.status in RUN_ACTIVE:
                if run.status == "in_progress":
                    self._deploy_started = True
                    if self._status.step != Step.DEPLOYING:
                        self._set_step(Step.DEPLOYING)
                        self._await_who(f"deploy run {run_id} to finish", [])
                        # A stuck run is for a human to judge, not a reason to give up.
                        deadline = workflow.now() + self._settings.deploy_approval_timeout
            elif run.status == "completed" and run.conclusion == "success":
                self._deploy_started = True
                self._status.deployed_sha = run.head_sha
                self._status.message = f"deployed {self._status.prod_branch} to {self._settings.environment}"
                return
            elif run.status == "completed":
                # A failed deploy may have changed production half-way; only a rejection surely did not.
                if workflow.patched(FAILED_RUN_MAY_HAVE_DEPLOYED) and not run.rejected:
                    self._deploy_started = True
                await self._deploy_failed(run_id, run)
                last = None
                deadline = workflow.now() + self._settings.deploy_approval_timeout
            self._publish()

    async def _deploy_failed(self, run_id: int, run: RunObservation) -> None:
        self._set_step(Step.DEPLOY_FAILED)
        self._status.message = (
            f"deploy run {run_id} ended {run.conclusion}: "
            "send retry_deploy to re-run its failed jobs, or abort"
        )
        self._await_who("retry_deploy or abort", [self._request.requested_by])
        seen = self._retry_deploy
        await self._until(
            lambda: self._retry_deploy > seen,
            deadline=workflow.now() + self._settings.deploy_approval_timeout,
            what="a decision on the failed deployment",
        )
        await self._act(
            GitHubActivities.rerun_failed_jobs, RunInput(repository=self._request.repository, run_id=run_id)
        )
        self._set_step(Step.DEPLOY_APPROVAL)
        self._await_who(f"approval of re-run {run_id} for {self._settings.environment}", [])

    async def _back_merge(self) -> None:
        """Without this the next regular release overwrites the hotfix: the step people forget."""
        self._set_step(Step.BACK_MERGE)
        target = self._require(self._status.default_branch)
        diff = await self._act(
            GitHubActivities.compare,
            CompareInput(repository=self._request.repository, base=target, head=self._status.prod_branch),
        )
        if diff.ahead_by == 0:
            self._status.message = f"{target} already contains {self._status.prod_branch}"
            return
        pr = await self._act(
            GitHubActivities.open_pull_request,
            OpenPullRequestInput(
                repository=self._request.repository,
                head=self._status.prod_branch,
                base=target,
                title=f"Back-merge hotfix {self._request.description} into {target}",
                body=self._pr_body(back_merge=True),
            ),
        )
        self._status.back_merge_pull_request = pr
        self._await_who(f"back-merge PR #{pr.number} into {target} to be merged", [])
        self._start_reminders(pr.number)
        deadline = workflow.now() + self._settings.back_merge_timeout
        last: ReviewObservation | None = None
        while True:
            review: ReviewObservation = await self._poll(
                GitHubWaits.wait_review,
                partial(self._review_input, pr.number, last),
                deadline=deadline,
                what="back-merge",
            )
            last = review
            if review.state == ReviewState.MERGED:
                self._status.message = f"back-merge PR #{pr.number} merged into {target}"
                break
            if review.state == ReviewState.CLOSED:
                raise _Stop(
                    Step.ABORTED,
                    f"back-merge PR #{pr.number} was closed without merging: merge "
                    f"{self._status.prod_branch} into {target} by hand before the next release",
                )
        self._stop_reminders()

    # -----------------------------------------------------------------------------------------
    # Ending early
    # -----------------------------------------------------------------------------------------

    async def _wind_down(self, step: Step, reason: str) -> None:
        """Abort or expiry: withdraw what was made unless something reached production."""
        self._status.reason = reason
        if not self._deploy_started and (self._branches_made or self._status.pull_request):
            prs = [pr.number for pr in (self._status.pull_request,) if pr]
            waiting_run = self._status.run_id if self._status.step == Step.DEPLOY_APPROVAL else None
            try:
                await workflow.execute_activity_method(
                    GitHubActivities.cleanup,
                    CleanupInput(
                        repository=self._request.repository,
                        pull_requests=prs,
                        branches=list(self._branches_made),
                        comment=f"Hotfix {step.value}: {reason}. The hotfix workflow closed this PR "
                        "and deleted its branches.",
                        cancel_run_id=waiting_run,
                    ),
                    start_to_close_timeout=self._settings.activity_timeout,
                    retry_policy=RetryPolicy(maximum_attempts=20, maximum_interval=timedelta(minutes=1)),
                )
            except ActivityError as err:
                self._status.warnings.append(f"cleanup incomplete, tidy up by hand: {err.cause or err}")
        elif self._deploy_started:
            self._status.message = "a deployment ran, so nothing was deleted"
        self._stop_reminders()
        self._set_step(step)
        await self._release_lane()

    async def _release_lane(self) -> None:
        if not self._in_lane:
            return
        self._in_lane = False
        lane = workflow.get_external_workflow_handle(naming.lane_workflow_id(self._request.repository))
        try:
            await lane.signal("release", LaneReleaseSignal(workflow_id=self._status.workflow_id))
        except Exception as err:  # a lane that is gone holds nobody back
            workflow.logger.warning("could not release the lane: %s", err)

    # -----------------------------------------------------------------------------------------
    # Waiting: for signals, for GitHub, with deadlines and reminders
    # -----------------------------------------------------------------------------------------

    async def _until(
        self, condition: Callable[[], bool], *, deadline: datetime | None, what: str = "a human"
    ) -> None:
        """Wait for `condition`, an abort, or the deadline; post reminders on the PR meanwhile."""
        self._publish()
        while True:
            if self._abort is not None:
                raise _Stop(Step.ABORTED, self._abort.reason)
            if condition():
                return
            now = workflow.now()
            if deadline is not None and now >= deadline:
                raise _Stop(Step.EXPIRED, f"no {what} by the deadline, {deadline:%Y-%m-%d %H:%M} UTC")
            wake = [t for t in (deadline, self._next_reminder) if t is not None]
            timeout = max(min(wake) - now, timedelta(seconds=1)) if wake else None
            try:
                await workflow.wait_condition(lambda: condition() or self._abort is not None, timeout=timeout)
            except TimeoutError:
                await self._maybe_remind()

    async def _poll(
        self,
        method: Callable[..., Awaitable[T]],
        make_input: Callable[[bool], Any],
        *,
        deadline: datetime | None,
        what: str,
    ) -> Any:
        """Run a polling activity until it reports; a nudge (signal) restarts it to look at once.

        `make_input(fresh)`: fresh is True after a nudge, when the poll must report what it sees.
        """
        fresh = False
        while True:
            nudges = self._nudges
            handle = self._start_poll(method, make_input(fresh))
            try:
                await self._until(partial(self._poll_over, handle, nudges), deadline=deadline, what=what)
            except BaseException:
                handle.cancel()
                raise
            if not handle.done():
                handle.cancel()
                try:
                    await handle
                except (ActivityError, asyncio.CancelledError, CancelledError):
                    pass
                fresh = True
                continue
            try:
                return handle.result()
            except ActivityError as err:
                await self._blocked(err)
                fresh = True

    def _action_over(self, handle: Any) -> bool:
        return bool(handle.done()) or self._abort is not None

    def _count_above(self, counter: str, seen: int) -> bool:
        value: int = getattr(self, counter)
        return value > seen

    def _poll_over(self, handle: Any, nudges: int) -> bool:
        return bool(handle.done()) or self._nudges != nudges

    def _checks_input(self, not_sha: str | None, fresh: bool) -> WaitChecksInput:
        return WaitChecksInput(
            repository=self._request.repository,
            ref=self._status.work_branch,
            poll_interval=self._settings.poll_interval,
            not_sha=not_sha,
        )

    def _review_input(self, number: int, last: ReviewObservation | None, fresh: bool) -> WaitReviewInput:
        return WaitReviewInput(
            repository=self._request.repository,
            number=number,
            poll_interval=self._settings.poll_interval,
            last=None if fresh else last,
        )

    def _run_input(self, run_id: int, last: RunObservation | None, fresh: bool) -> WaitRunInput:
        return WaitRunInput(
            repository=self._request.repository,
            run_id=run_id,
            environment=self._settings.environment,
            poll_interval=self._settings.poll_interval,
            last=None if fresh else last,
        )

    def _start_poll(self, method: Callable[..., Awaitable[T]], arg: Any) -> Any:
        interval = self._settings.poll_interval
        return workflow.start_activity_method(
            method,
            arg,
            start_to_close_timeout=interval + timedelta(minutes=5),
            heartbeat_timeout=interval * 2 + timedelta(minutes=1),
            # Polling by retry: "not yet" is a benign failure retried every poll interval, so nothing
            # stays in the worker or in history while people think.
            retry_policy=RetryPolicy(
                initial_interval=interval, backoff_coefficient=1.0, maximum_interval=interval
            ),
        )

    async def _act(self, method: Callable[..., Any], arg: Any, *, slow: bool = False) -> Any:
        """One GitHub action. Transient errors are retried by Temporal; the rest wait for a human."""
        timeout = self._settings.activity_timeout * (SLOW if slow else 1)
        while True:
            try:
                if not workflow.patched(ABORT_INTERRUPTS_ACTIONS):
                    return await workflow.execute_activity_method(
                        method, arg, start_to_close_timeout=timeout, retry_policy=IO_RETRY
                    )
                handle = workflow.start_activity_method(
                    method, arg, start_to_close_timeout=timeout, retry_policy=IO_RETRY
                )
                # While GitHub is down an action retries for as long as it takes; an abort must not.
                await workflow.wait_condition(partial(self._action_over, handle))
                if not handle.done():
                    handle.cancel()
                    raise _Stop(Step.ABORTED, self._require(self._abort).reason)
                return handle.result()
            except ActivityError as err:
                if self._status.step == Step.PREFLIGHT or _non_retryable(err) is None:
                    raise
                await self._blocked(err)

    async def _blocked(self, err: ActivityError) -> None:
        cause = _non_retryable(err)
        if cause is None:
            raise err
        previous = (self._status.awaiting, list(self._status.awaiting_who))
        self._status.message = f"blocked: {cause.message}"
        self._await_who("a human to fix the problem, then the recheck signal", [self._request.requested_by])
        nudges = self._nudges
        await self._until(lambda: self._nudges > nudges, deadline=None)
        self._status.awaiting, self._status.awaiting_who = previous[0], previous[1]
        self._status.message = "rechecking after a fix"
        self._publish()

    def _start_reminders(self, pr_number: int) -> None:
        self._reminder_pr = pr_number
        self._next_reminder = workflow.now() + self._settings.reminder_interval

    def _stop_reminders(self) -> None:
        self._reminder_pr = None
        self._next_reminder = None

    async def _maybe_remind(self) -> None:
        if self._next_reminder is None or self._reminder_pr is None or workflow.now() < self._next_reminder:
            return
        self._next_reminder = workflow.now() + self._settings.reminder_interval
        who = " ".join(f"@{login}" for login in self._status.awaiting_who)
        body = f"⏰ Reminder: this hotfix is waiting for {self._status.awaiting}. {who}".strip()
        body += "\n\n" + render.to_markdown(self._status)
        await self._act(
            GitHubActivities.comment,
            CommentInput(repository=self._request.repository, number=self._reminder_pr, body=body),
        )

    # -----------------------------------------------------------------------------------------
    # Status, signals, query
    # -----------------------------------------------------------------------------------------

    def _set_step(self, step: Step) -> None:
        now = workflow.now()
        if self._status.timeline and self._status.timeline[-1].ended_at is None:
            self._status.timeline[-1].ended_at = now
        if not step.terminal:
            self._status.timeline.append(StepEvent(step=step, started_at=now))
        else:
            self._status.awaiting, self._status.awaiting_who = None, []
        self._status.step = step
        workflow.upsert_search_attributes([search_attributes.STEP.value_set(step.value)])
        self._publish()

    def _await_who(self, what: str, who: list[str]) -> None:
        self._status.awaiting, self._status.awaiting_who = what, list(who)
        self._publish()

    def _publish(self) -> None:
        workflow.set_current_details(render.to_markdown(self._status))

    def _find_base_input(self, explicit: bool = True) -> FindBaseInput:
        return FindBaseInput(
            repository=self._request.repository,
            environment=self._settings.environment,
            main_branch=self._settings.main_branch,
            base_ref=self._request.base_ref if explicit else None,
        )

    def _pr_body(self, back_merge: bool = False) -> str:
        link = self._workflow_link()
        lines = [
            f"**Hotfix:** {self._request.description}",
            f"**Requested by:** @{self._request.requested_by}",
            f"**Base:** `{self._status.base_ref}` @ `{self._status.base_sha}` ({self._status.base_source})",
            f"**Workflow:** {link}",
        ]
        if back_merge:
            lines.insert(0, "Back-merge of a deployed hotfix, so the next regular release keeps it.\n")
        return "\n".join(lines)

    def _workflow_link(self) -> str:
        base = self._settings.ui_base_url
        wid = self._status.workflow_id
        if not base:
            return f"`{wid}`"
        quoted = "".join(c if c.isalnum() or c in "-_." else f"%{ord(c):02X}" for c in wid)
        return f"{base.rstrip('/')}/namespaces/{self._settings.namespace}/workflows/{quoted}"

    @staticmethod
    def _require(value: T | None) -> T:
        if value is None:
            raise ApplicationError(
                "internal: a step ran before the one that sets its input", non_retryable=True
            )
        return value

    @workflow.signal
    def changes_ready(self, signal: ChangesReadySignal) -> None:
        self._changes_ready += 1
        self._nudges += 1

    @workflow.signal
    def recheck(self, signal: RecheckSignal) -> None:
        self._nudges += 1

    @workflow.signal
    def retry_deploy(self, signal: RetryDeploySignal) -> None:
        self._retry_deploy += 1
        self._nudges += 1

    @workflow.signal
    def abort(self, signal: AbortSignal) -> None:
        if self._abort is None:
            self._abort = signal

    @workflow.signal
    def lane_update(self, signal: LaneGrantSignal) -> None:
        self._lane = signal
        self._status.queued_behind = None if signal.granted else signal.ahead
        self._publish()

    @workflow.query
    def status(self) -> HotfixStatus:
        return self._status


__all__ = ["HotfixWorkflow", "PullRequestRef"]
