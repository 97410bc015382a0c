"""Test doubles of the GitHub activities for time-skipping tests: a tiny in-memory GitHub.

The doubles keep the real activities' names and models, so the workflow under test is unchanged.
Polling doubles answer at once or raise a benign "not yet" that Temporal retries, exactly like the
real ones; a running activity would stop the test server from skipping time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from hotfix.models import (
    BranchRules,
    BranchRulesInput,
    ChangeRecord,
    ChecksResult,
    CherryPickInput,
    CherryPickResult,
    CleanupInput,
    CleanupResult,
    CommentInput,
    CommentResult,
    CompareInput,
    CompareResult,
    ConflictInput,
    ConflictResult,
    CreateBranchInput,
    CreateBranchResult,
    DispatchInput,
    FindBaseInput,
    FindBaseResult,
    FindRollbackInput,
    MergeInput,
    MergeResult,
    NotifyInput,
    NotifyResult,
    OpenPullRequestInput,
    PreflightCheck,
    PreflightInput,
    PreflightResult,
    PullRequestRef,
    RecordInput,
    RecordResult,
    RerunResult,
    ReviewObservation,
    ReviewState,
    RollbackTarget,
    RunInput,
    RunObservation,
    RunRef,
    WaitChecksInput,
    WaitReviewInput,
    WaitRunInput,
)


def not_yet(what: str, interval: timedelta) -> ApplicationError:
    # As the real polls (activities/waits.py): one look per attempt, the next one a poll interval later.
    return ApplicationError(
        f"not yet: {what}", type="NotYet", category=ApplicationErrorCategory.BENIGN, next_retry_delay=interval
    )


@dataclass
class FakePR:
    number: int
    head: str
    base: str
    state: str = "open"
    merged: bool = False
    merge_sha: str | None = None
    requested: list[str] = field(default_factory=list)
    # user -> (state, the commit the review was given on): an approval is of one commit, as on GitHub.
    reviews: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Files both sides changed since the merge base: GitHub shows `mergeable: false` while any.
    conflicts: list[str] = field(default_factory=list)
    # GitHub is computing mergeability (`mergeable: null`) for this many more looks.
    computing: int = 0
    labels: list[str] = field(default_factory=list)


@dataclass
class FakeRun:
    run_id: int
    ref: str
    sha: str
    status: str = "waiting"
    conclusion: str | None = None
    rejected: bool = False


class FakeGitHub:
    """State a test can read and change; the doubles below act on it."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.ancestors: dict[str, set[str]] = {"main-0": {"main-0"}, "develop-0": {"main-0", "develop-0"}}
        self.branches: dict[str, str] = {"main": "main-0", "develop": "develop-0"}
        self.deployed: tuple[str, str] = ("main-0", "main")
        # Every successful deployment, oldest first (its ID is its place + 1): what a rollback reads.
        self.deployments: list[tuple[str, str]] = [self.deployed]
        self.default_branch = "develop"
        self.checks: dict[str, str] = {}  # sha -> "pending" | "failure" (absent: success)
        self.prs: dict[int, FakePR] = {}
        self.runs: dict[int, FakeRun] = {}
        self.comments: list[tuple[int, str]] = []
        self.conflict_reports: list[ConflictInput] = []
        self.required_approvals = 1  # what the prod branch's rules ask
        self.cleanups: list[CleanupInput] = []
        self.calls: list[str] = []
        self.preflight_failure: str | None = None
        self.down = False  # GitHub answers 502 to everything the doubles are asked
        self.cherry_conflict: bool = False
        self.refuse: set[str] = set()  # activity names that fail for good until removed
        self.unknown_refs: set[str] = set()  # names and shas GitHub knows no commit of
        self.deploy_reviewers = ["prod-reviewer-1", "prod-reviewer-2"]
        # Chat notifications: whether the worker has targets (preflight says so), and what the notify
        # double was asked, every attempt (`notify_failures`: attempts that fail before one succeeds).
        self.notify = False
        self.notifications: list[NotifyInput] = []
        self.notify_failures = 0

    # -- what humans (and CI) do -----------------------------------------------------------

    def commit(self, branch: str, message: str = "fix") -> str:
        sha = f"{branch.replace('/', '_')}-{next(self._ids)}-{message.replace(' ', '_')}"
        self.ancestors[sha] = self.ancestors[self.branches[branch]] | {sha}
        self.branches[branch] = sha
        return sha

    def review(self, number: int, user: str, state: str, commit: str | None = None) -> None:
        pr = self.prs[number]
        pr.reviews[user] = (state, commit or self.branches[pr.head])

    def merge_by_hand(self, number: int) -> None:
        pr = self.prs[number]
        self._merge(pr)

    def conflict(self, number: int, *files: str) -> None:
        """The target branch got changes to `files` that the PR's head changed too; GitHub computes
        mergeability for a look first (`mergeable: null`)."""
        pr = self.prs[number]
        pr.conflicts, pr.computing = list(files), 1

    def resolve_conflict(self, number: int) -> None:
        """A human pushes a merge of the target into the PR's head branch, resolving the conflicts."""
        pr = self.prs[number]
        sha = f"resolve-{pr.number}-{next(self._ids)}"
        self.ancestors[sha] = (
            self.ancestors[self.branches[pr.base]] | self.ancestors[self.branches[pr.head]] | {sha}
        )
        self.branches[pr.head] = sha
        pr.conflicts, pr.computing = [], 1

    def close(self, number: int) -> None:
        self.prs[number].state = "closed"

    def approve_run(self, run_id: int, conclusion: str = "success") -> None:
        run = self.runs[run_id]
        run.status, run.conclusion = "completed", conclusion
        if conclusion == "success":
            self.deployed = (run.sha, run.ref)
            self.deployments.append(self.deployed)

    def reject_run(self, run_id: int) -> None:
        run = self.runs[run_id]
        run.status, run.conclusion, run.rejected = "completed", "failure", True

    def deploy_elsewhere(self, branch: str) -> None:
        """Someone deploys another branch by hand: the drift the guard exists for."""
        self.deployed = (self.branches[branch], branch)
        self.deployments.append(self.deployed)

    def pr_for(self, head: str) -> FakePR:
        return next(pr for pr in self.prs.values() if pr.head == head)

    def _merge(self, pr: FakePR) -> str:
        sha = f"merge-{pr.number}-{next(self._ids)}"
        self.ancestors[sha] = (
            self.ancestors[self.branches[pr.base]] | self.ancestors[self.branches[pr.head]] | {sha}
        )
        self.branches[pr.base] = sha
        pr.state, pr.merged, pr.merge_sha = "closed", True, sha
        return sha

    def _resolve(self, ref: str) -> str:
        return self.branches.get(ref, ref)


class FakeActivities:
    """Same activity names as activities.github.GitHubActivities and activities.waits.GitHubWaits."""

    def __init__(self, gh: FakeGitHub) -> None:
        self.gh = gh

    def _called(self, name: str) -> None:
        self.gh.calls.append(name)
        if name.split(":")[0] in self.gh.refuse:
            # What no retry can fix (a 403, a 422): the hotfix blocks until a human sends recheck.
            raise ApplicationError(f"GitHub refused {name}", type="GitHubForbidden", non_retryable=True)

    @activity.defn
    async def preflight(self, input: PreflightInput) -> PreflightResult:
        self._called("preflight")
        if self.gh.down:
            raise ApplicationError("GitHub answered 502", type="GitHubUnavailable")
        checks = [PreflightCheck(name="repository", outcome="pass", detail=input.repository)]
        for ref in [input.base_ref or "", *input.cherry_picks]:
            if ref in self.gh.unknown_refs:
                checks.append(PreflightCheck(name="base", outcome="fail", detail=f"no commit {ref}"))
        if self.gh.preflight_failure:
            checks.append(
                PreflightCheck(
                    name="deployment branch policy",
                    outcome="fail",
                    detail=self.gh.preflight_failure,
                    fix="add prod/hotfix/* to the environment's deployment branches",
                )
            )
        return PreflightResult(
            default_branch=self.gh.default_branch,
            checks=checks,
            reviewers=self.gh.deploy_reviewers,
            notify=self.gh.notify,
        )

    @activity.defn
    async def notify(self, input: NotifyInput) -> NotifyResult:
        self.gh.notifications.append(input)
        if self.gh.notify_failures:
            self.gh.notify_failures -= 1
            raise ApplicationError("the chat answered 502", type="NotificationFailed")
        return NotifyResult(sent=1)

    @activity.defn
    async def find_base(self, input: FindBaseInput) -> FindBaseResult:
        self._called("find_base")
        if input.base_ref:
            return FindBaseResult(sha=self.gh._resolve(input.base_ref), ref=input.base_ref, source="explicit")
        sha, ref = self.gh.deployed
        return FindBaseResult(sha=sha, ref=ref, source="deployment")

    @activity.defn
    async def find_rollback_target(self, input: FindRollbackInput) -> RollbackTarget:
        """activities/rollback.py over `deployments`; its refusals are tested against the sandbox."""
        self._called("find_rollback_target")
        current = len(self.gh.deployments)
        sha, ref = self.gh.deployments[-1]
        if input.to_deployment is not None:
            target = input.to_deployment
        else:
            earlier = [i for i, (s, _) in enumerate(self.gh.deployments[:-1], 1) if s != sha]
            if not earlier:
                raise ApplicationError(
                    "rollback refused: nothing to roll back to", type="RollbackRefused", non_retryable=True
                )
            target = earlier[-1]
        target_sha, target_ref = self.gh.deployments[target - 1]
        return RollbackTarget(
            current_deployment=current,
            current_sha=sha,
            current_ref=ref,
            deployment=target,
            sha=target_sha,
            ref=target_ref,
            ref_head=self.gh.branches.get(target_ref, ""),
        )

    @activity.defn
    async def create_branch(self, input: CreateBranchInput) -> CreateBranchResult:
        self._called(f"create_branch:{input.branch}")
        created = input.branch not in self.gh.branches
        self.gh.branches.setdefault(input.branch, input.sha)
        return CreateBranchResult(branch=input.branch, sha=input.sha, created=created)

    @activity.defn
    async def cherry_pick(self, input: CherryPickInput) -> CherryPickResult:
        self._called("cherry_pick")
        if self.gh.cherry_conflict:
            return CherryPickResult(
                head_sha=self.gh.branches[input.branch],
                conflict_sha=input.shas[0],
                conflict_files=["app/login.py"],
            )
        for sha in input.shas:
            self.gh.commit(input.branch, f"pick-{sha}")
        return CherryPickResult(head_sha=self.gh.branches[input.branch], applied=list(input.shas))

    @activity.defn
    async def compare(self, input: CompareInput) -> CompareResult:
        self._called("compare")
        base, head = self.gh._resolve(input.base), self.gh._resolve(input.head)
        base_anc, head_anc = self.gh.ancestors[base], self.gh.ancestors[head]
        ahead, behind = len(head_anc - base_anc), len(base_anc - head_anc)
        status = (
            "identical" if base == head else "ahead" if not behind else "behind" if not ahead else "diverged"
        )
        return CompareResult(status=status, ahead_by=ahead, behind_by=behind, head_sha=head)

    @activity.defn
    async def open_pull_request(self, input: OpenPullRequestInput) -> PullRequestRef:
        self._called(f"open_pull_request:{input.base}")
        for pr in self.gh.prs.values():
            if pr.head == input.head and pr.base == input.base and pr.state == "open":
                return PullRequestRef(number=pr.number, url=f"https://gh/pull/{pr.number}", created=False)
        number = next(self.gh._ids)
        self.gh.prs[number] = FakePR(
            number=number, head=input.head, base=input.base, requested=input.reviewers
        )
        return PullRequestRef(number=number, url=f"https://gh/pull/{number}")

    @activity.defn
    async def merge_pull_request(self, input: MergeInput) -> MergeResult:
        self._called("merge_pull_request")
        pr = self.gh.prs[input.number]
        if pr.merged:
            return MergeResult(merged=True, sha=pr.merge_sha)
        if self.gh.branches[pr.head] != input.sha:
            return MergeResult(merged=False, message="Head branch was modified")
        if pr.conflicts:
            return MergeResult(merged=False, message="Pull Request is not mergeable")
        return MergeResult(merged=True, sha=self.gh._merge(pr))

    @activity.defn
    async def dispatch_deploy(self, input: DispatchInput) -> RunRef:
        self._called("dispatch_deploy")
        for run in self.gh.runs.values():
            if run.ref == input.ref:
                return RunRef(run_id=run.run_id, url=f"https://gh/runs/{run.run_id}", created=False)
        run_id = 1000 + next(self.gh._ids)
        self.gh.runs[run_id] = FakeRun(run_id=run_id, ref=input.ref, sha=self.gh.branches[input.ref])
        return RunRef(run_id=run_id, url=f"https://gh/runs/{run_id}")

    @activity.defn
    async def rerun_failed_jobs(self, input: RunInput) -> RerunResult:
        self._called("rerun_failed_jobs")
        run = self.gh.runs[input.run_id]
        run.status, run.conclusion, run.rejected = "waiting", None, False
        return RerunResult(run_id=input.run_id, rerun=True)

    @activity.defn
    async def branch_rules(self, input: BranchRulesInput) -> BranchRules:
        self._called("branch_rules")
        return BranchRules(requires_pull_request=True, required_approvals=self.gh.required_approvals)

    @activity.defn
    async def comment(self, input: CommentInput) -> CommentResult:
        self._called("comment")
        self.gh.comments.append((input.number, input.body))
        return CommentResult(comment_id=len(self.gh.comments))

    @activity.defn
    async def report_conflict(self, input: ConflictInput) -> ConflictResult:
        self._called("report_conflict")
        self.gh.conflict_reports.append(input)
        pr = self.gh.prs[input.number]
        body = f"conflicts: {', '.join(pr.conflicts)} @{input.requester}"
        if (input.number, body) not in self.gh.comments:  # as the real one: the comment once
            self.gh.comments.append((input.number, body))
        if input.label not in pr.labels:
            pr.labels.append(input.label)
        if input.requester not in pr.requested:
            pr.requested.append(input.requester)
        return ConflictResult(files=list(pr.conflicts), comment_id=len(self.gh.comments))

    @activity.defn
    async def cleanup(self, input: CleanupInput) -> CleanupResult:
        self._called("cleanup")
        self.gh.cleanups.append(input)
        for number in input.pull_requests:
            self.gh.prs[number].state = "closed"
        for branch in input.branches:
            self.gh.branches.pop(branch, None)
        return CleanupResult(closed_pull_requests=input.pull_requests, deleted_branches=input.branches)

    # -- polling -------------------------------------------------------------------------

    @activity.defn
    async def wait_checks(self, input: WaitChecksInput) -> ChecksResult:
        self._called("wait_checks")
        # A branch, or a commit (the PR's head before the merge).
        head = self.gh.branches.get(input.ref, input.ref)
        state = self.gh.checks.get(head, "success")
        if head == input.not_sha or state == "pending":
            raise not_yet("checks", input.poll_interval)
        if state == "failure":
            return ChecksResult(head_sha=head, conclusion="failure", failed=["ci"])
        return ChecksResult(head_sha=head, conclusion="success")

    @activity.defn
    async def wait_review(self, input: WaitReviewInput) -> ReviewObservation:
        self._called("wait_review")
        pr = self.gh.prs[input.number]
        head = self.gh.branches.get(pr.head, "")
        approved = sorted(u for u, (s, on) in pr.reviews.items() if s == "APPROVED" and on == head)
        enough = len(approved) >= max(1, input.required_approvals)
        stale = sorted(u for u, (s, on) in pr.reviews.items() if s == "APPROVED" and on != head)
        changes = sorted(u for u, (s, _) in pr.reviews.items() if s == "CHANGES_REQUESTED")
        state = (
            ReviewState.MERGED
            if pr.merged
            else ReviewState.CLOSED
            if pr.state == "closed"
            else ReviewState.CHANGES_REQUESTED
            if changes
            else ReviewState.APPROVED
            if enough
            else ReviewState.PENDING
        )
        mergeable: bool | None = not pr.conflicts
        if pr.computing and pr.state == "open":
            pr.computing -= 1
            # As the real poll: null (still computing) repeats what was seen last.
            mergeable = input.last.mergeable if input.last is not None else None
        seen = ReviewObservation(
            state=state,
            head_sha=head,
            mergeable=mergeable if pr.state == "open" else None,
            requested_reviewers=list(pr.requested),
            approved_by=approved,
            changes_requested_by=changes,
            base_ref=pr.base,
            merge_commit_sha=pr.merge_sha,
            ignored_approvals=[f"{u}: approved an older commit" for u in stale],
        )
        if seen == input.last:
            raise not_yet("review", input.poll_interval)
        return seen

    @activity.defn
    async def wait_run(self, input: WaitRunInput) -> RunObservation:
        self._called("wait_run")
        run = self.gh.runs[input.run_id]
        seen = RunObservation(
            status=run.status,
            conclusion=run.conclusion,
            html_url=f"https://gh/runs/{run.run_id}",
            head_sha=run.sha,
            pending_reviewers=self.gh.deploy_reviewers if run.status == "waiting" else [],
            rejected=run.rejected,
        )
        if seen == input.last:
            raise not_yet("run", input.poll_interval)
        return seen

    @activity.defn
    async def build_record(self, input: RecordInput) -> RecordResult:
        """The record from the workflow's own status only (the real one reads GitHub: tests/activities)."""
        self._called("build_record")
        status = input.status
        record = ChangeRecord(
            workflow_id=status.workflow_id,
            repository=status.repository,
            description=status.description,
            requested_by=status.requested_by,
            incident=input.incident,
            step=status.step.value,
            pull_request=status.pull_request.number if status.pull_request else None,
            merge_sha=status.merged_sha,
            run_id=status.run_id,
        )
        if input.comment and status.pull_request is not None:
            self.gh.comments.append((status.pull_request.number, f"change record: {status.step.value}"))
        return RecordResult(record=record)

    def all(self) -> list[Callable[..., Any]]:
        return [
            getattr(self, name)
            for name in dir(type(self))
            if hasattr(getattr(type(self), name), "__temporal_activity_definition")
        ]
