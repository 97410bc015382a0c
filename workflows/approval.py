"""Runbook steps 4-6: green checks, the PR into the prod branch, an approval of its head, the merge.

A part of HotfixWorkflow (workflows/hotfix.py). What ships is what was reviewed: an approval counts
only for the commit it was given on (activities/waits.py decides whose approval counts), the merge
names the approved sha (GitHub refuses it if the head moved), and a head that moved after its
checks is tested again before anything is merged.
"""

from __future__ import annotations

from functools import partial

from temporalio import workflow

from workflows.versions import (
    CHECKS_OF_THE_PR_BEFORE_MERGE,
    EVERY_WAIT_NAMED,
    REQUIRED_CHECKS_FROM_RULES,
    REVIEWED_COMMIT_ONLY,
)
from workflows.waiting import LOOK_AGAIN, LookAgain, Stop, Waiting

with workflow.unsafe.imports_passed_through():
    from activities.pulls import PullRequestActivities
    from activities.rules import RulesActivities
    from activities.waits import GitHubWaits
    from hotfix import render
    from hotfix.models import (
        BranchRulesInput,
        CommentInput,
        MergeInput,
        OpenPullRequestInput,
        PullRequestRef,
        RequiredCheck,
        ReviewObservation,
        ReviewState,
        Step,
        WaitChecksInput,
        WaitReviewInput,
    )


class ApprovalSteps(Waiting):
    _noted_approvals: list[str]  # ignored approvals already named in a PR comment
    _fix_authors: list[str]  # who wrote or committed the PR's commits, at the last look
    _required_checks: list[RequiredCheck] | None = None  # what the prod branch's rules require
    _pr_checks_passed: str | None = None  # the PR head whose own checks passed

    async def _wait_for_green_checks(self) -> None:
        self._set_step(Step.TESTS)
        required: list[RequiredCheck] | None = None
        if self._patched(REQUIRED_CHECKS_FROM_RULES):
            # What the prod branch's rules require is what must pass, reported by whom they say.
            rules = await self._act(
                RulesActivities.branch_rules,
                BranchRulesInput(repository=self._request.repository, branch=self._status.prod_branch),
            )
            required = list(rules.required_checks)
            self._status.required_checks = [c.context for c in required]
            self._required_checks = required
        wanted = ", ".join(self._status.required_checks) or "every check"
        self._await_who(f"{wanted} on {self._status.work_branch} to pass", [self._request.requested_by])
        deadline = workflow.now() + (
            self._settings.tests_timeout
            if self._patched(EVERY_WAIT_NAMED)
            else self._settings.changes_timeout
        )
        not_sha: str | None = None
        while True:
            checks = await self._poll(
                GitHubWaits.wait_checks,
                partial(self._checks_input, self._status.work_branch, not_sha, required),
                deadline=deadline,
                what="green checks",
            )
            if checks.conclusion == "success":
                self._status.tested_sha = checks.head_sha
                self._status.message = f"checks green on {checks.head_sha[:12]}"
                for warning in checks.warnings:
                    if warning not in self._status.warnings:
                        self._status.warnings.append(warning)
                return
            not_sha = checks.head_sha
            self._status.message = (
                f"checks failed on {checks.head_sha[:12]}: {', '.join(checks.failed) or 'unknown'}; "
                f"push a fix to {self._status.work_branch}"
            )
            self._await_who(f"a fix pushed to {self._status.work_branch} and green checks", [])

    def _checks_input(
        self, ref: str, not_sha: str | None, required: list[RequiredCheck] | None, fresh: bool
    ) -> WaitChecksInput:
        return WaitChecksInput(
            repository=self._request.repository,
            ref=ref,
            required=required,
            poll_interval=self._settings.poll_interval,
            not_sha=not_sha,
        )

    async def _open_pull_request(self) -> None:
        self._set_step(Step.PULL_REQUEST)
        pull_request = await self._act(
            PullRequestActivities.open_pull_request,
            OpenPullRequestInput(
                repository=self._request.repository,
                head=self._status.work_branch,
                base=self._status.prod_branch,
                title=render.hotfix_title(self._request),
                body=self._pr_body(),
                reviewers=list(self._settings.pr_reviewers),
            ),
        )
        self._status.pull_request = pull_request
        self._remind_on(pull_request.number)

    async def _merge_when_approved(self) -> None:
        self._set_step(Step.APPROVAL)
        pr = self._require(self._status.pull_request)
        self._await_who(f"an approving review on PR #{pr.number}", [])
        deadline = workflow.now() + self._settings.approval_timeout
        required = 1
        if self._patched(REVIEWED_COMMIT_ONLY):
            # GitHub's own rules are the floor: never call approved what GitHub would not merge.
            rules = await self._act(
                RulesActivities.branch_rules,
                BranchRulesInput(repository=self._request.repository, branch=self._status.prod_branch),
            )
            required = max(1, rules.required_approvals or 1)
            self._status.required_approvals = required
        with self._reminders(pr.number):
            await self._watch(
                GitHubWaits.wait_review,
                partial(self._approval_input, required),
                self._merge_if_approved,
                deadline=lambda: deadline,
                what="PR approval",
            )

    async def _merge_if_approved(self, review: ReviewObservation) -> bool | LookAgain | None:
        # The PR of now: a PR people opened from the same branch after closing this one takes over.
        pr = self._require(self._status.pull_request)
        guarded = self._patched(REVIEWED_COMMIT_ONLY)
        if guarded:
            self._fix_authors = list(review.authors)
            await self._show_review(pr, review)
        if review.state == ReviewState.MERGED:
            if guarded:
                self._check_merged_by_hand(pr, review)
            self._status.merged_sha = review.merge_commit_sha
            self._status.message = f"PR #{pr.number} was merged on GitHub"
            return True
        if review.state == ReviewState.CLOSED:
            if not guarded:
                raise Stop(Step.ABORTED, f"PR #{pr.number} was closed on GitHub without merging")
            # Closing and reopening is how people re-trigger CI: it is not an abort.
            if review.successor is not None:
                self._status.pull_request = self._adopt(pr, review.successor)
                return LOOK_AGAIN
            self._status.message = f"PR #{pr.number} was closed on GitHub: reopen it to continue, or abort"
            self._await_who(f"PR #{pr.number} to be reopened", [self._request.requested_by])
            return None
        if guarded and review.base_ref and review.base_ref != self._status.prod_branch:
            self._status.message = (
                f"PR #{pr.number} now targets {review.base_ref}, not {self._status.prod_branch}: it is not "
                f"merged until its base is set back to {self._status.prod_branch}"
            )
            self._await_who(
                f"the base of PR #{pr.number} set back to {self._status.prod_branch}",
                [self._request.requested_by],
            )
            return None
        if guarded and review.head_sha != self._status.tested_sha:
            return await self._test_the_new_head(pr, review)
        if review.state == ReviewState.CHANGES_REQUESTED:
            self._status.message = f"changes requested by {', '.join(review.changes_requested_by)}"
            self._await_who(
                f"the requested changes on PR #{pr.number} and a new approval",
                review.changes_requested_by,
            )
            return None
        if review.state != ReviewState.APPROVED:
            if guarded:
                self._await_who(
                    f"an approving review of {review.head_sha[:12]} on PR #{pr.number}",
                    review.requested_reviewers or list(self._settings.approvers),
                )
            return None
        if self._patched(CHECKS_OF_THE_PR_BEFORE_MERGE) and self._pr_checks_passed != review.head_sha:
            if await self._pr_checks_green(pr, review):
                # Look at the review again: it may have changed while the checks ran.
                self._pr_checks_passed = review.head_sha
            return LOOK_AGAIN
        # Merge exactly the head GitHub showed as approved; a newer head waits for a new look.
        merged = await self._act(
            PullRequestActivities.merge_pull_request,
            MergeInput(
                repository=self._request.repository,
                number=pr.number,
                sha=review.head_sha,
                title=render.hotfix_title(self._request),
            ),
        )
        if merged.merged:
            self._status.merged_sha = merged.sha
            self._status.message = f"PR #{pr.number} approved by {', '.join(review.approved_by)} and merged"
            return True
        self._status.message = f"merge of PR #{pr.number} refused: {merged.message}; send recheck when fixed"
        self._publish()
        return None

    async def _pr_checks_green(self, pr: PullRequestRef, review: ReviewObservation) -> bool:
        """The checks CI ran on the PR itself (Actions' `pull_request` runs, besides the push's) have
        passed on the approved head, by the same rules as step 4; False: they failed, and the hotfix
        waits for a fix with green checks and a new approval."""
        sha = review.head_sha
        self._status.message = f"PR #{pr.number} approved; waiting for every check on {sha[:12]} to finish"
        self._publish()
        checks = await self._poll(
            GitHubWaits.wait_checks,
            partial(self._checks_input, sha, None, self._required_checks),
            deadline=workflow.now() + self._settings.tests_timeout,
            what="green checks on the PR",
        )
        if checks.conclusion == "success":
            return True
        note = (
            f"Checks failed on PR #{pr.number} at {sha[:12]} ({', '.join(checks.failed) or 'unknown'}) after "
            f"the approval: the hotfix waits for a fix pushed to `{self._status.work_branch}`, green "
            "checks and an approval of the new head before merging."
        )
        await self._retest(pr, note)
        return False

    def _approval_input(self, required: int, last: ReviewObservation | None) -> WaitReviewInput:
        number = self._require(self._status.pull_request).number
        return self._review_input(number, last).model_copy(
            update={"required_approvals": required, "approvers": list(self._settings.approvers)}
        )

    async def _show_review(self, pr: PullRequestRef, review: ReviewObservation) -> None:
        """Ignored approvals and flags go into the status, and each ignored approval once into a PR
        comment, so people see why an approval did not count."""
        self._status.ignored_approvals = list(review.ignored_approvals)
        for flag in review.flags:
            if flag not in self._status.warnings:
                self._status.warnings.append(flag)
        new = [a for a in review.ignored_approvals if a not in self._noted_approvals]
        if not new or review.state in (ReviewState.MERGED, ReviewState.CLOSED):
            return
        self._noted_approvals.extend(new)
        body = "Not counted as an approval of this hotfix:\n" + "\n".join(f"- {a}" for a in new)
        await self._act(
            PullRequestActivities.comment,
            CommentInput(repository=self._request.repository, number=pr.number, body=body),
        )

    def _check_merged_by_hand(self, pr: PullRequestRef, review: ReviewObservation) -> None:
        if review.base_ref and review.base_ref != self._status.prod_branch:
            raise Stop(
                Step.ABORTED,
                f"PR #{pr.number} was merged into {review.base_ref}, not {self._status.prod_branch}: nothing "
                f"was deployed; {self._status.prod_branch} lacks the fix",
            )
        if not review.approved_by:
            raise Stop(
                Step.ABORTED,
                f"PR #{pr.number} was merged on GitHub without an approval of its head "
                f"{review.head_sha[:12]} that counts: nothing was deployed; deploy by hand if that was meant",
            )

    async def _test_the_new_head(self, pr: PullRequestRef, review: ReviewObservation) -> LookAgain:
        """New commits after the checks passed: test them, and wait for an approval of them."""
        tested = self._status.tested_sha or "the tested head"
        note = (
            f"New commits on `{self._status.work_branch}` since its checks passed ({tested[:12]} → "
            f"{review.head_sha[:12]}): the hotfix waits for green checks on the new head and an approval "
            "of it before merging. Approvals of earlier commits do not count."
        )
        await self._retest(pr, note)
        return LOOK_AGAIN

    async def _retest(self, pr: PullRequestRef, note: str) -> None:
        """Say on the PR why, wait for green checks on the working branch's head, then for its approval."""
        self._status.message = note
        await self._act(
            PullRequestActivities.comment,
            CommentInput(repository=self._request.repository, number=pr.number, body=note),
        )
        await self._wait_for_green_checks()
        self._set_step(Step.APPROVAL)
        self._await_who(f"an approving review of {self._status.tested_sha or ''} on PR #{pr.number}", [])
