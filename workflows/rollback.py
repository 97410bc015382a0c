"""RollbackWorkflow: what ran before back in the environment, through the same gate as a hotfix (#12 item 4).

A HotfixWorkflow with other steps: it finds the deployment before the current one (or the one asked
for), takes its turn in the repository's lane (nothing else deploys meanwhile), dispatches the deploy
workflow on that deployment's ref, waits for the environment's reviewers and the run as a hotfix does,
and ends with its own record. It refuses, with the reason, when there is nothing earlier, when the
target's ref is gone, when a hotfix of the repository has merged and not deployed yet, and when what
production runs changed while it waited in the lane. Signals, queries and updates are the hotfix's.
"""

from __future__ import annotations

from typing import NoReturn

from temporalio import workflow

from workflows.hotfix import HotfixWorkflow

with workflow.unsafe.imports_passed_through():
    from activities.branches import BranchActivities
    from activities.lane import LaneActivities
    from activities.rollback import RollbackActivities, refused
    from hotfix import naming
    from hotfix.models import (
        CreateBranchInput,
        FindRollbackInput,
        HotfixRequest,
        HotfixResult,
        MidDeployInput,
        MidDeployResult,
        RollbackRequest,
        RollbackTarget,
        Step,
    )


def as_hotfix(request: RollbackRequest) -> HotfixRequest:
    """The rollback as the hotfix machinery sees it: no base, no changes, the same settings."""
    return HotfixRequest(
        repository=request.repository,
        description=f"rollback: {request.reason}",
        requested_by=request.requested_by,
        day=request.day,
        slug=f"rollback-{request.slug}",
        settings=request.settings,
        incident=request.incident,
    )


@workflow.defn
class RollbackWorkflow(HotfixWorkflow):
    KIND = "rollback"
    _deploy_label = "the rollback's target"
    _moved_since = "after the rollback chose it"

    @workflow.init
    def __init__(self, request: RollbackRequest) -> None:
        super().__init__(as_hotfix(request))
        self._rollback = request
        self._status.work_branch = ""  # nothing to work on
        self._target: RollbackTarget | None = None

    @workflow.run
    async def run(self, request: RollbackRequest) -> HotfixResult:  # type: ignore[override]
        return await self._run_with_memo()

    def _deploy_sha(self) -> str | None:
        return self._target.sha if self._target else None

    async def _steps(self) -> None:
        await self._choose_target()
        await self._queue_behind_earlier_hotfixes()
        await self._deploy_ref()
        await self._dispatch_deploy()
        await self._wait_for_deployment()
        await self._release_lane()
        self._set_step(Step.DONE)

    async def _choose_target(self) -> None:
        self._set_step(Step.PREFLIGHT)
        target: RollbackTarget = await self._act(RollbackActivities.find_rollback_target, self._find_input())
        self._target = target
        self._status.rollback = target
        self._status.base_sha, self._status.base_ref, self._status.base_source = (
            target.sha,
            target.ref,
            "deployment",
        )
        busy: MidDeployResult = await self._act(
            LaneActivities.mid_deploy,
            MidDeployInput(repository=self._request.repository, workflow_id=self._status.workflow_id),
        )
        if busy.workflow_id:
            await self._refuse(
                f"hotfix {busy.workflow_id} has merged and is not deployed yet (at {busy.step}): let it "
                "deploy and roll back after it, or abort it first"
            )
        self._status.message = (
            f"rolls {self._settings.environment} back from {target.current_sha[:12]} (deployment "
            f"{target.current_deployment}) to {target.sha[:12]} (deployment {target.deployment}, "
            f"{target.ref})"
        )

    async def _deploy_ref(self) -> None:
        """After its turn in the lane: production must still run what the rollback set out to undo,
        and the ref to dispatch must hold the target's commit (a branch made there if it moved on)."""
        self._set_step(Step.BRANCHES)
        before = self._require(self._target)
        now: RollbackTarget = await self._act(RollbackActivities.find_rollback_target, self._find_input())
        if self._rollback.to_deployment is None and now.current_deployment != before.current_deployment:
            await self._refuse(
                f"{self._settings.environment} changed while the rollback waited: it now runs "
                f"{now.current_sha[:12]} (deployment {now.current_deployment}), not deployment "
                f"{before.current_deployment}; start a new rollback if it is still wanted"
            )
        self._target = self._status.rollback = now
        if now.ref_head == now.sha and now.ref != now.sha:
            self._status.prod_branch = now.ref
        else:
            branch = naming.rollback_branch(
                self._settings.prod_branch_prefix, self._rollback.day, self._rollback.slug
            )
            await self._act(
                BranchActivities.create_branch,
                CreateBranchInput(repository=self._request.repository, branch=branch, sha=now.sha),
            )
            self._branches_made.append(branch)
            self._status.prod_branch = branch
            self._status.message = (
                f"{now.ref} moved on to {now.ref_head[:12]} since deployment {now.deployment}: deploying "
                f"{branch}, made at {now.sha[:12]}"
            )
        self._publish()

    async def _drift_guard(self) -> None:
        """A rollback deploys an older commit on purpose: what production runs is checked in
        `_deploy_ref`, not required to be contained."""

    def _find_input(self) -> FindRollbackInput:
        return FindRollbackInput(
            repository=self._request.repository,
            environment=self._settings.environment,
            to_deployment=self._rollback.to_deployment or (self._target.deployment if self._target else None),
        )

    async def _refuse(self, why: str) -> NoReturn:
        """End failed with the reason, nothing deployed, the lane left to the next in line."""
        error = refused(why)
        self._status.reason = error.message
        self._set_step(Step.FAILED)
        await self._release_lane()
        raise error


__all__ = ["RollbackWorkflow"]
