"""Runbook step 9: back-merge the deployed prod branch into the default branch, and wait until it is merged.

A part of HotfixWorkflow (workflows/hotfix.py); skipping it would let the next release undo the fix.
"""

from __future__ import annotations

from functools import partial

from temporalio import workflow

from workflows.versions import REVIEWED_COMMIT_ONLY
from workflows.waiting import LOOK_AGAIN, LookAgain, Stop, Waiting

with workflow.unsafe.imports_passed_through():
    from activities.branches import BranchActivities
    from activities.pulls import PullRequestActivities
    from activities.waits import GitHubWaits
    from hotfix import render
    from hotfix.models import (
        CompareInput,
        OpenPullRequestInput,
        ReviewObservation,
        ReviewState,
        Step,
        WaitReviewInput,
    )


class BackMergeStep(Waiting):
    async def _back_merge_and_wait(self) -> None:
        """Without this the next regular release overwrites the hotfix: the step people forget."""
        self._set_step(Step.BACK_MERGE)
        target = self._require(self._status.default_branch)
        diff = await self._act(
            BranchActivities.compare,
            CompareInput(repository=self._request.repository, base=target, head=self._status.prod_branch),
        )
        if diff.ahead_by == 0:
            self._status.message = f"{target} already contains {self._status.prod_branch}"
            return
        pr = await self._act(
            PullRequestActivities.open_pull_request,
            OpenPullRequestInput(
                repository=self._request.repository,
                head=self._status.prod_branch,
                base=target,
                title=render.back_merge_title(self._request, target),
                body=self._pr_body(back_merge=True),
            ),
        )
        self._status.back_merge_pull_request = pr
        self._remind_on(pr.number)
        self._await_who(
            f"back-merge PR #{pr.number} into {target} to be merged", [self._request.requested_by]
        )
        deadline = workflow.now() + self._settings.back_merge_timeout
        with self._reminders(pr.number):
            await self._watch(
                GitHubWaits.wait_review,
                self._back_merge_input,
                partial(self._back_merged, target),
                deadline=lambda: deadline,
                what="back-merge",
            )

    def _back_merge_input(self, last: ReviewObservation | None) -> WaitReviewInput:
        return self._review_input(self._require(self._status.back_merge_pull_request).number, last)

    async def _back_merged(self, target: str, review: ReviewObservation) -> bool | LookAgain | None:
        # The PR of now: one opened from the prod branch after this one was closed takes over.
        pr = self._require(self._status.back_merge_pull_request)
        guarded = workflow.patched(REVIEWED_COMMIT_ONLY)
        if review.state == ReviewState.MERGED:
            # Whatever the PR says (it may have been retargeted), done means the default branch has the fix.
            if guarded and not await self._contains_the_fix(target):
                self._status.message = (
                    f"back-merge PR #{pr.number} was merged into {review.base_ref}, but {target} does not "
                    f"contain the deployed {self._deployed()[:12]}: merge {self._status.prod_branch} into "
                    f"{target}, then send recheck"
                )
                self._await_who(f"{target} to contain the hotfix", [self._request.requested_by])
                return None
            self._status.message = f"back-merge PR #{pr.number} merged into {target}"
            return True
        if review.state == ReviewState.CLOSED:
            if not guarded:
                raise Stop(
                    Step.ABORTED,
                    f"back-merge PR #{pr.number} was closed without merging: merge "
                    f"{self._status.prod_branch} into {target} by hand before the next release",
                )
            if await self._contains_the_fix(target):
                self._status.message = f"{target} contains the hotfix (back-merge PR #{pr.number} closed)"
                return True
            if review.successor is not None:
                self._status.back_merge_pull_request = self._adopt(pr, review.successor)
                return LOOK_AGAIN
            self._status.message = (
                f"back-merge PR #{pr.number} was closed without merging: reopen and merge it, or merge "
                f"{self._status.prod_branch} into {target} by hand and send recheck"
            )
            self._await_who(f"{target} to contain the hotfix", [self._request.requested_by])
            return None
        if guarded and review.base_ref and review.base_ref != target:
            self._status.message = (
                f"back-merge PR #{pr.number} now targets {review.base_ref}, not {target}: set it back, or "
                f"the next release of {target} would undo the hotfix"
            )
        return None

    def _deployed(self) -> str:
        return self._status.deployed_sha or self._status.merged_sha or ""

    async def _contains_the_fix(self, target: str) -> bool:
        sha = self._deployed()
        if not sha:
            return True
        diff = await self._act(
            BranchActivities.compare,
            CompareInput(repository=self._request.repository, base=sha, head=target),
        )
        return diff.status in ("ahead", "identical")
