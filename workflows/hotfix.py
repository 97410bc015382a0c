"""HotfixWorkflow: the runbook's nine steps, in order, as one durable workflow.

`run()` reads like the runbook (the step numbers are in hotfix/render.py's RUNBOOK). Each step is a
short method: steps 0-6 here, the deploy (7-8) in workflows/deploy.py, the back-merge (9) in
workflows/back_merge.py. Every GitHub action is an activity of the step's room in activities/, and
every wait for a human is a polling activity (activities/waits.py) raced against signals, a reminder
timer and the step's deadline (workflows/waiting.py). GitHub is the source of truth: a signal only
makes the workflow look again at once, it never stands in for an approval.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

from workflows.approval import ApprovalSteps
from workflows.back_merge import BackMergeStep
from workflows.deploy import DeploySteps
from workflows.record import RecordStep
from workflows.updates import HumanUpdates
from workflows.versions import EARLY_END_FAILS, QUEUED_REJOINS_VANISHED_LANE, REVIEWED_COMMIT_ONLY
from workflows.waiting import IO_RETRY, QUEUE_ALLOWANCE, Stop, non_retryable

with workflow.unsafe.imports_passed_through():
    from activities.branches import BranchActivities
    from activities.cherry_pick import CherryPickActivities
    from activities.lane import WATCH_FOR, LaneActivities
    from activities.preflight import PreflightActivities
    from hotfix import naming, search_attributes
    from hotfix.models import (
        AbortSignal,
        ChangesReadySignal,
        CherryPickInput,
        CleanupInput,
        CompareInput,
        CreateBranchInput,
        DispatchInput,
        FindBaseResult,
        HotfixRequest,
        HotfixResult,
        HotfixStatus,
        LaneGrantSignal,
        LaneInput,
        LaneReleaseSignal,
        PreflightInput,
        PreflightResult,
        PullRequestRef,
        RecheckSignal,
        RetryDeploySignal,
        Step,
        WatchLaneInput,
    )
    from hotfix.outcome import EARLY_END

T = TypeVar("T")

# Run states in which the deploy run is still on its way.
RUN_ACTIVE = ("queued", "requested", "pending", "in_progress")


@workflow.defn
class HotfixWorkflow(ApprovalSteps, DeploySteps, BackMergeStep, HumanUpdates, RecordStep):
    KIND = "hotfix"  # in the failure's message ("hotfix failed: ...")

    @workflow.init
    def __init__(self, request: HotfixRequest) -> None:
        settings = request.settings
        self._request = request
        self._settings = settings
        self._status = naming.initial_status(request, workflow.info().workflow_id)
        self._init_waiting()
        self._lane: LaneGrantSignal | None = None
        self._in_lane = False
        self._branches_made: list[str] = []
        self._deploy_started = False
        self._dispatch_input: DispatchInput | None = None
        self._noted_approvals: list[str] = []
        self._fix_authors: list[str] = []
        self._preflight: PreflightResult | None = None
        self._cherry_picks = list(request.cherry_picks)
        self._picking = False  # in the cherry-pick action (a recheck may then correct the list)

    # -----------------------------------------------------------------------------------------
    # The runbook
    # -----------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: HotfixRequest) -> HotfixResult:
        return await self._run_with_memo()

    async def _run_with_memo(self) -> HotfixResult:
        """The runbook, with the status kept in the memo and the notifications sent before the end."""
        self._start_lean()  # first, in the first workflow task (workflows/versions.py)
        memo = asyncio.create_task(self._keep_status_in_memo())
        self._list_as(search_attributes.REPOSITORY, self._request.repository)
        try:
            result = await self._runbook()
        except GeneratorExit:
            raise  # evicted from a worker's cache: the hotfix goes on, there is nothing to write
        except BaseException:
            await self._notifications_sent()  # "failed", "aborted": told before the workflow ends
            self._last_memo(memo)  # failed or cancelled: its last status
            raise
        await self._notifications_sent()
        self._last_memo(memo)
        return result

    def _last_memo(self, keeper: asyncio.Task[None]) -> None:
        """The last status, written before the workflow ends, and the memo keeper stopped."""
        self._write_memo()
        keeper.cancel()

    async def _runbook(self) -> HotfixResult:
        stopped: Stop | None = None
        try:
            await self._steps()
        except Stop as stop:
            await self._wind_down(stop.step, stop.reason)
            stopped = stop
        except (asyncio.CancelledError, CancelledError):
            # Cancelling from the UI is an abort: clean up the same way, then end as cancelled.
            await self._wind_down(Step.ABORTED, "workflow cancelled")
            raise
        except ActivityError as err:
            cause = non_retryable(err)
            reason = cause.message if cause else str(err)
            self._status.reason = reason
            self._set_step(Step.FAILED)
            await self._release_lane()
            raise ApplicationError(f"{self.KIND} failed: {reason}", non_retryable=True) from err
        record = await self._change_record()
        await workflow.wait_condition(workflow.all_handlers_finished)
        result = HotfixResult(status=self._status, record=record)
        if stopped is not None and self._patched(EARLY_END_FAILS):
            # Aborted or expired is no success: the run ends Failed, its result in the details.
            raise ApplicationError(
                f"{self.KIND} {stopped.step.value}: {stopped.reason}",
                result,
                type=EARLY_END[stopped.step],
                non_retryable=True,
            )
        return result

    async def _steps(self) -> None:
        """The runbook; an early end raises Stop (aborted, expired) or an ActivityError (failed)."""
        await self._preflight_checks()
        await self._queue_behind_earlier_hotfixes()
        await self._cut_branches()
        await self._wait_for_changes()
        await self._wait_for_green_checks()
        await self._open_pull_request()
        await self._merge_when_approved()
        await self._dispatch_deploy()
        await self._wait_for_deployment()
        await self._release_lane()
        await self._back_merge_and_wait()
        self._set_step(Step.DONE)

    async def _preflight_checks(self) -> None:
        self._set_step(Step.PREFLIGHT)
        result: PreflightResult = await self._act(
            PreflightActivities.preflight,
            PreflightInput(
                repository=self._request.repository,
                settings=self._settings,
                prod_branch=self._status.prod_branch,
                base_ref=self._request.base_ref,
                cherry_picks=list(self._request.cherry_picks),
                requested_by=self._request.requested_by,
            ),
        )
        # Kept for the notifications (notify, reviewers); its checks are read here only, and a waiting
        # hotfix need not hold them in the worker (about 5 KiB each).
        self._preflight = result.model_copy(update={"checks": []})
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
        self._await_who(
            "earlier hotfixes of this repository to be deployed or withdrawn", [self._request.requested_by]
        )
        deadline = self._deadline(self._settings.queued_timeout)
        if self._settings.lane_watch_interval and self._patched(QUEUED_REJOINS_VANISHED_LANE):
            await self._wait_in_lane(deadline)
        else:
            await self._until(self._granted, deadline=deadline, what="turn in the repository's lane")
        self._status.queued_behind = None

    def _watch_over(self, watch: workflow.ActivityHandle[Any], ahead: str | None) -> bool:
        """Granted, the lane re-joined, or a new hotfix ahead (a re-join must name the one ahead now)."""
        return self._granted() or watch.done() or (self._lane.ahead if self._lane else None) != ahead

    def _granted(self) -> bool:
        return self._lane is not None and self._lane.granted

    async def _wait_in_lane(self, deadline: datetime | None) -> None:
        """Wait for the lane's grant. While queued behind another hotfix, an activity watches the lane:
        one terminated from outside is re-joined (a new lane), in the order the hotfixes first joined."""
        what = "turn in the repository's lane"
        since = workflow.now()
        while not self._granted():
            # The lane answers every joiner at once; nothing to watch until it has (or after a re-join).
            await self._until(lambda: self._lane is not None, deadline=deadline, what=what)
            if self._granted():
                return
            ahead = self._lane.ahead if self._lane else None
            watch = workflow.start_activity_method(
                LaneActivities.watch_lane,
                WatchLaneInput(
                    repository=self._request.repository,
                    workflow_id=self._status.workflow_id,
                    since=since,
                    ahead=ahead,
                    interval=self._settings.lane_watch_interval,
                ),
                start_to_close_timeout=WATCH_FOR + timedelta(minutes=10),
                heartbeat_timeout=self._settings.lane_watch_interval * 2 + timedelta(seconds=30),
                retry_policy=IO_RETRY,
            )
            try:
                await self._until(partial(self._watch_over, watch, ahead), deadline=deadline, what=what)
            except GeneratorExit:
                # Evicted from the worker's cache: the coroutine is closed outside the workflow's
                # event loop, where cancelling an activity raises "Event loop is closed".
                raise
            except BaseException:
                if not watch.done():
                    watch.cancel()
                raise
            if not watch.done():
                watch.cancel()
            if (
                watch.done()
                and not watch.cancelled()
                and watch.exception() is None
                and watch.result().rejoined
            ):
                self._lane = None  # the new lane will say where this hotfix stands

    async def _cut_branches(self) -> None:
        self._set_step(Step.BRANCHES)
        base: FindBaseResult = await self._act(BranchActivities.find_base, self._find_base_input())
        self._status.base_sha, self._status.base_ref, self._status.base_source = (
            base.sha,
            base.ref,
            base.source,
        )
        # The working branch first: the prod branch is the one people deploy from.
        for branch in (self._status.work_branch, self._status.prod_branch):
            await self._act(
                BranchActivities.create_branch,
                CreateBranchInput(repository=self._request.repository, branch=branch, sha=base.sha),
            )
            self._branches_made.append(branch)
        self._publish()

    async def _wait_for_changes(self) -> None:
        self._set_step(Step.CHANGES)
        if self._request.cherry_picks:
            self._picking = True
            picked = await self._act(
                CherryPickActivities.cherry_pick,
                # Built afresh for each try: a recheck may have corrected the list while blocked.
                lambda: CherryPickInput(
                    repository=self._request.repository,
                    branch=self._status.work_branch,
                    shas=list(self._cherry_picks),
                ),
                slow=True,
            )
            self._picking = False
            if picked.conflict_sha:
                files = ", ".join(picked.conflict_files) or "unknown files"
                self._status.message = (
                    f"cherry-pick of {picked.conflict_sha[:12]} conflicts in {files}: resolve it on "
                    f"{self._status.work_branch}, push, then send changes_ready"
                )
            elif not self._cherry_picks:
                self._status.message = (
                    f"cherry-picks dropped by a recheck: push the fix to {self._status.work_branch}, "
                    "then send changes_ready"
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
            seen = await self._signal_after("changes_ready", seen, deadline=deadline, what="changes")
            diff = await self._act(
                BranchActivities.compare,
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

    # -----------------------------------------------------------------------------------------
    # Ending early
    # -----------------------------------------------------------------------------------------

    async def _wind_down(self, step: Step, reason: str) -> None:
        """Abort or expiry: withdraw what was made unless something reached production."""
        self._status.reason = reason
        if not self._deploy_started and (self._branches_made or self._status.pull_request):
            prs = [pr.number for pr in (self._status.pull_request,) if pr]
            waiting_run = self._status.run_id if self._status.step == Step.DEPLOY_APPROVAL else None
            # People's commits survive a withdrawal: branches that hold them are kept, renamed.
            keep_work = self._patched(REVIEWED_COMMIT_ONLY)
            try:
                cleaned = await workflow.execute_activity_method(
                    BranchActivities.cleanup,
                    CleanupInput(
                        repository=self._request.repository,
                        pull_requests=prs,
                        branches=list(self._branches_made),
                        comment=f"Hotfix {step.value}: {reason}. The hotfix workflow closed this PR "
                        + ("and withdrew its branches." if keep_work else "and deleted its branches."),
                        cancel_run_id=waiting_run,
                        base_sha=self._status.base_sha if keep_work else None,
                        kept_prefix=self._settings.kept_branch_prefix,
                    ),
                    start_to_close_timeout=self._settings.activity_timeout + QUEUE_ALLOWANCE,
                    heartbeat_timeout=self._action_heartbeat(),
                    retry_policy=RetryPolicy(maximum_attempts=20, maximum_interval=timedelta(minutes=1)),
                )
                self._status.kept_branches = sorted(cleaned.kept_branches.values())
                if cleaned.kept_branches:
                    self._status.message = "kept people's commits: " + ", ".join(
                        f"{old} as {new}" for old, new in sorted(cleaned.kept_branches.items())
                    )
            except ActivityError as err:
                self._status.warnings.append(f"cleanup incomplete, tidy up by hand: {err.cause or err}")
        elif self._deploy_started:
            self._status.message = "a deployment ran, so nothing was deleted"
        self._remind_on(None)
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
    # Status, signals, query
    # -----------------------------------------------------------------------------------------

    # Every handler takes any payload or none (`Any = None`): the payload model is applied inside, so a
    # signal from the UI with an empty Data box, `null` or junk never fails a workflow task.

    @workflow.signal
    def changes_ready(self, signal: Any = None) -> None:
        """The developer pushed the changes: look at the working branch now."""
        self._accept(ChangesReadySignal, signal, "changes_ready")
        self._received.update(("changes_ready", "nudge"))

    @workflow.signal
    def recheck(self, signal: Any = None) -> None:
        """Look at GitHub again now (after fixing what blocked the hotfix); `cherry_picks` replaces the
        cherry-pick list of a hotfix blocked while cherry-picking."""
        request = self._accept(RecheckSignal, signal, "recheck")
        if request.cherry_picks is not None and self._status.step == Step.CHANGES and self._picking:
            self._cherry_picks = list(request.cherry_picks)
        self._received["nudge"] += 1

    @workflow.signal
    def retry_deploy(self, signal: Any = None) -> None:
        """Re-run the failed jobs of the deploy run."""
        self._accept(RetryDeploySignal, signal, "retry_deploy")
        self._received.update(("retry_deploy", "nudge"))

    @workflow.signal
    def abort(self, signal: Any = None) -> None:
        """Withdraw the hotfix: what it made is cleaned up unless something was deployed."""
        request = self._accept(AbortSignal, signal, "abort")
        if self._abort is None:
            self._abort = request

    @workflow.signal
    def lane_update(self, signal: Any = None) -> None:
        """From the repository's lane (never from a person): who is ahead, or that this hotfix may go."""
        grant = self._accept(LaneGrantSignal, signal, "lane_update", from_a_person=False)
        self._lane = grant
        self._status.queued_behind = None if grant.granted else grant.ahead
        self._publish()

    @workflow.query
    def status(self) -> HotfixStatus:
        return self._status


__all__ = ["HotfixWorkflow", "PullRequestRef"]
