"""Runbook steps 7 and 8: dispatch the deploy workflow on the prod branch, wait while it is approved and runs.

A part of HotfixWorkflow (workflows/hotfix.py), kept in its own room; `run()` there calls these steps.
"""

from __future__ import annotations

from functools import partial

from temporalio import workflow

from workflows.versions import FAILED_RUN_MAY_HAVE_DEPLOYED, REVIEWED_COMMIT_ONLY
from workflows.waiting import LOOK_AGAIN, LookAgain, Stop, Waiting

with workflow.unsafe.imports_passed_through():
    from activities.branches import BranchActivities
    from activities.deploy import DeployActivities
    from activities.waits import GitHubWaits
    from hotfix.models import (
        CompareInput,
        DispatchInput,
        FindBaseResult,
        RunInput,
        RunObservation,
        Step,
        WaitRunInput,
    )

# Run states in which the deploy run is still on its way.
RUN_ACTIVE = ("queued", "requested", "pending", "in_progress")


class DeploySteps(Waiting):
    _deploy_started: bool
    _fix_authors: list[str]
    _dispatch_input: DispatchInput | None  # the dispatch of this hotfix's run, once made
    # What the commit that must deploy is, in the messages (a rollback names its target instead).
    _deploy_label = "the reviewed merge"
    _moved_since = "after the merge"

    def _deploy_sha(self) -> str | None:
        """The commit that must deploy: what the hotfix PR's merge made (a rollback: its target)."""
        return self._status.merged_sha

    async def _dispatch_deploy(self) -> None:
        self._set_step(Step.DEPLOY)
        await self._drift_guard()
        guarded = self._patched(REVIEWED_COMMIT_ONLY) and self._deploy_sha() is not None
        if guarded:
            await self._merged_commit_guard()
        # Fixed once, in workflow time, so a retried dispatch recognises the run it already made.
        not_before = workflow.now()
        self._dispatch_input = DispatchInput(
            repository=self._request.repository,
            workflow=self._settings.deploy_workflow,
            ref=self._status.prod_branch,
            not_before=not_before,
            head_sha=self._deploy_sha() if guarded else None,
        )
        run = await self._act(DeployActivities.dispatch_deploy, self._dispatch_input, slow=True)
        self._status.run_id, self._status.run_url = run.run_id, run.url
        self._note_strays(run.cancelled)
        self._publish()

    def _note_strays(self, cancelled: list[int]) -> None:
        """Name the stray runs a late-answered dispatch made, which the activities cancelled."""
        for run_id in cancelled:
            note = (
                f"cancelled deploy run {run_id}: a second run of {self._status.prod_branch} that a retried "
                "dispatch made (its first answer came late); the hotfix deploys with its own run"
            )
            if note not in self._status.warnings:
                self._status.warnings.append(note)

    async def _drift_guard(self) -> None:
        """Never deploy a prod branch that lacks what production runs now: that would un-deploy it."""
        drift_deadline = self._deadline(self._settings.drift_timeout)
        while True:
            live: FindBaseResult = await self._act(
                BranchActivities.find_base, self._find_base_input(explicit=False)
            )
            diff = await self._act(
                BranchActivities.compare,
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
            await self._signal_after(
                "nudge",
                self._received["nudge"],
                deadline=drift_deadline,
                what="resolution of the drift",
            )

    async def _merged_commit_guard(self) -> None:
        """Deploy exactly what was merged: a push to the prod branch after the merge is not reviewed."""
        merged = self._require(self._deploy_sha())
        drift_deadline = self._deadline(self._settings.drift_timeout)
        while True:
            diff = await self._act(
                BranchActivities.compare,
                CompareInput(repository=self._request.repository, base=merged, head=self._status.prod_branch),
            )
            if diff.head_sha == merged:
                return
            self._status.message = (
                f"{self._status.prod_branch} moved {self._moved_since}: it is at {diff.head_sha[:12]}, "
                f"{self._deploy_label} is {merged[:12]}; nothing is deployed. "
                f"Reset {self._status.prod_branch} to {merged[:12]} and send recheck, or abort"
            )
            self._await_who(
                f"{self._status.prod_branch} reset to {self._deploy_label} {merged[:12]}",
                [self._request.requested_by],
            )
            await self._signal_after(
                "nudge",
                self._received["nudge"],
                deadline=drift_deadline,
                what="resolution of the drift",
            )

    def _check_run_commit(self, run: RunObservation) -> None:
        """A run at another commit than the reviewed merge is not the hotfix's: stop, never approve it."""
        merged = self._deploy_sha()
        if merged is None or not run.head_sha or run.head_sha == merged:
            return
        if run.status == "in_progress" or run.status == "completed":
            self._deploy_started = True  # it may have changed production: delete nothing
        raise Stop(
            Step.ABORTED,
            f"deploy run {self._status.run_id} is at {run.head_sha[:12]}, not {self._deploy_label} "
            f"{merged[:12]}: it is not deployed",
        )

    def _flag_self_approval(self, run: RunObservation) -> None:
        """Separation of duties for the deployment: GitHub lets the fix's author approve it (only the
        run's triggerer, the bot, can be refused), so such an approval is flagged."""
        selves = sorted(set(run.approved_by) & set(self._fix_authors))
        if not selves or not self._settings.require_independent_review:
            return
        flag = (
            f"deployment approved by {', '.join(selves)}, who wrote or committed a commit of this hotfix "
            f"(environment {self._settings.environment} does not stop it)"
        )
        if flag not in self._status.warnings:
            self._status.warnings.append(flag)

    async def _check_deployed_commit(self) -> None:
        """After the run: what the environment records as deployed must be the reviewed merge."""
        merged = self._deploy_sha()
        if merged is None:
            return
        live: FindBaseResult = await self._act(
            BranchActivities.find_base, self._find_base_input(explicit=False)
        )
        if live.sha != merged:
            raise Stop(
                Step.FAILED,
                f"{self._settings.environment} records {live.sha[:12]} ({live.ref}) as deployed, not "
                f"{self._deploy_label} {merged[:12]}: check the deploy workflow's deployment",
            )

    async def _wait_for_deployment(self) -> None:
        run_id = self._require(self._status.run_id)
        deadline = workflow.now() + self._settings.deploy_approval_timeout
        self._set_step(Step.DEPLOY_APPROVAL)
        self._await_who(f"approval of deploy run {run_id} for {self._settings.environment}", [])

        async def decide(run: RunObservation) -> bool | LookAgain | None:
            nonlocal deadline
            self._status.run_url = run.html_url
            self._note_strays(run.cancelled)
            if self._patched(REVIEWED_COMMIT_ONLY):
                self._check_run_commit(run)
            decided: bool | LookAgain | None = None
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
                self._flag_self_approval(run)
                if self._patched(REVIEWED_COMMIT_ONLY):
                    await self._check_deployed_commit()
                self._status.message = f"deployed {self._status.prod_branch} to {self._settings.environment}"
                return True
            elif run.status == "completed":
                # A failed deploy may have changed production half-way; only a rejection surely did not.
                if self._patched(FAILED_RUN_MAY_HAVE_DEPLOYED) and not run.rejected:
                    self._deploy_started = True
                await self._deploy_failed(run_id, run)
                decided = LOOK_AGAIN
                deadline = workflow.now() + self._settings.deploy_approval_timeout
            self._publish()
            return decided

        await self._watch(
            GitHubWaits.wait_run,
            partial(self._run_input, run_id),
            decide,
            deadline=lambda: deadline,
            what="deployment",
        )

    async def _deploy_failed(self, run_id: int, run: RunObservation) -> None:
        self._set_step(Step.DEPLOY_FAILED)
        self._status.message = (
            f"deploy run {run_id} ended {run.conclusion}: "
            "send retry_deploy to re-run its failed jobs, or abort"
        )
        self._await_who("retry_deploy or abort", [self._request.requested_by])
        await self._signal_after(
            "retry_deploy",
            self._received["retry_deploy"],
            deadline=workflow.now() + self._settings.deploy_approval_timeout,
            what="a decision on the failed deployment",
        )
        await self._act(
            DeployActivities.rerun_failed_jobs, RunInput(repository=self._request.repository, run_id=run_id)
        )
        self._set_step(Step.DEPLOY_APPROVAL)
        self._await_who(f"approval of re-run {run_id} for {self._settings.environment}", [])

    def _run_input(self, run_id: int, last: RunObservation | None) -> WaitRunInput:
        return WaitRunInput(
            repository=self._request.repository,
            run_id=run_id,
            environment=self._settings.environment,
            poll_interval=self._settings.poll_interval,
            last=last,
            dispatch=self._dispatch_input,
        )
