"""Runbook step 9: back-merge the deployed prod branch into the default branch, and wait until it is merged.

A part of HotfixWorkflow (workflows/hotfix.py); skipping it would let the next release undo the fix.
"""

from __future__ import annotations

from functools import partial

from temporalio import workflow

from workflows.versions import BACK_MERGE_CONFLICTS, REVIEWED_COMMIT_ONLY
from workflows.waiting import LOOK_AGAIN, LookAgain, Stop, Waiting

with workflow.unsafe.imports_passed_through():
    from activities.branches import BranchActivities
    from activities.pulls import PullRequestActivities
    from activities.waits import GitHubWaits
    from hotfix import render
    from hotfix.models import (
        CompareInput,
        ConflictInput,
        OpenPullRequestInput,
        PullRequestRef,
        ReviewObservation,
        ReviewState,
        Step,
        WaitReviewInput,
    )


# The label a back-merge PR with conflicts gets (made if the repository lacks it).
CONFLICT_LABEL = "hotfix-conflict"


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
        # The PR whose conflict was reported (once per PR), and whether it is in conflict now.
        self._conflict_reported: int | None = None
        self._in_conflict = False
        self._conflict_files: list[str] = []
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
        guarded = self._patched(REVIEWED_COMMIT_ONLY)
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
        elif self._patched(BACK_MERGE_CONFLICTS):
            await self._show_conflict(target, pr, review)
        return None

    async def _show_conflict(self, target: str, pr: PullRequestRef, review: ReviewObservation) -> None:
        """A PR GitHub cannot merge waits for a human to resolve it (never resolved here): the status
        says so, and the PR gets one comment with the files changed on both sides, the conflict
        label and its requester asked to review. `mergeable` None (GitHub computing) changes nothing."""
        if review.mergeable is False:
            if self._conflict_reported != pr.number:
                report = await self._act(
                    PullRequestActivities.report_conflict,
                    ConflictInput(
                        repository=self._request.repository,
                        number=pr.number,
                        base=target,
                        head=self._status.prod_branch,
                        requester=self._request.requested_by,
                        label=CONFLICT_LABEL,
                    ),
                )
                self._conflict_reported, self._conflict_files = pr.number, report.files
            self._in_conflict = True
            files = ", ".join(self._conflict_files) or "files the compare does not show"
            self._status.message = (
                f"back-merge PR #{pr.number} has merge conflicts with {target} (changed on both sides: "
                f"{files}): resolve them on GitHub, by merging {target} into {self._status.prod_branch} "
                "or merging the PR by hand; the hotfix waits"
            )
            self._await_who(
                f"the conflicts of back-merge PR #{pr.number} with {target} to be resolved",
                [self._request.requested_by],
            )
        elif review.mergeable and self._in_conflict:
            self._in_conflict = False
            self._status.message = f"back-merge PR #{pr.number} no longer conflicts with {target}"
            self._await_who(
                f"back-merge PR #{pr.number} into {target} to be merged", [self._request.requested_by]
            )

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
