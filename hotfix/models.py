"""Pydantic models for every boundary: workflow input and status, signals, activity inputs and results.

These travel through Temporal with `pydantic_data_converter`, so they must stay free of secrets and
of anything that does I/O. Field names are part of workflow history: rename with care.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

# ---------------------------------------------------------------------------------------------
# Process settings and the workflow input
# ---------------------------------------------------------------------------------------------


class ProcessSettings(BaseModel):
    """The team's process, as the runbook describes it. Defaults come from `HOTFIX_*` settings."""

    model_config = ConfigDict(frozen=True)

    environment: str = "prod"
    deploy_workflow: str = "deploy.yml"
    main_branch: str = "main"
    prod_branch_prefix: str = "prod/hotfix/"
    work_branch_prefix: str = "hotfix/"
    # None: the repository's default branch, as GitHub reports it in preflight.
    back_merge_branch: str | None = None
    poll_interval: timedelta = timedelta(seconds=30)
    changes_timeout: timedelta = timedelta(days=7)
    approval_timeout: timedelta = timedelta(days=3)
    deploy_approval_timeout: timedelta = timedelta(days=1)
    back_merge_timeout: timedelta = timedelta(days=14)
    reminder_interval: timedelta = timedelta(hours=4)
    # Start-to-close of one GitHub action; a worker that dies mid-call is noticed after this long.
    activity_timeout: timedelta = timedelta(minutes=2)
    # Where people watch the workflow; used for links in PR bodies and comments.
    ui_base_url: str | None = None
    namespace: str = "default"


class HotfixRequest(BaseModel):
    """Input of HotfixWorkflow. `day` is fixed by the starter so names never depend on replay time."""

    repository: str
    description: str
    requested_by: str
    day: date
    base_ref: str | None = None
    cherry_picks: list[str] = Field(default_factory=list)
    settings: ProcessSettings = Field(default_factory=ProcessSettings)


class Step(StrEnum):
    """Where a hotfix is. The order is the runbook's; the terminal states come last."""

    PREFLIGHT = "preflight"  # checks, no side effects
    QUEUED = "queued"  # waits behind an earlier hotfix of the same repository
    BRANCHES = "branches"  # find what is deployed, cut both branches from it
    CHANGES = "changes"  # cherry-picks, then wait for `changes_ready`
    TESTS = "tests"  # wait for green checks on the working branch
    PULL_REQUEST = "pull_request"  # open working branch -> prod branch
    APPROVAL = "approval"  # wait for an approving review, then merge
    DEPLOY = "deploy"  # drift guard, dispatch the deploy workflow
    DEPLOY_APPROVAL = "deploy_approval"  # run waits for the environment's reviewers
    DEPLOYING = "deploying"  # run in progress
    DEPLOY_FAILED = "deploy_failed"  # failed or rejected; waits for retry_deploy or abort
    BACK_MERGE = "back_merge"  # PR prod branch -> default branch, wait until merged
    DONE = "done"
    ABORTED = "aborted"
    EXPIRED = "expired"
    FAILED = "failed"

    @property
    def terminal(self) -> bool:
        return self in (Step.DONE, Step.ABORTED, Step.EXPIRED, Step.FAILED)


class StepEvent(BaseModel):
    step: Step
    started_at: datetime
    ended_at: datetime | None = None
    note: str | None = None


class PullRequestRef(BaseModel):
    number: int
    url: str
    created: bool = True


class HotfixStatus(BaseModel):
    """What the `status` query returns, what the CLI prints and what the UI's details render."""

    workflow_id: str = ""
    repository: str
    description: str
    requested_by: str
    step: Step = Step.PREFLIGHT
    base_ref: str | None = None
    base_sha: str | None = None
    base_source: str | None = None
    work_branch: str
    prod_branch: str
    default_branch: str | None = None
    pull_request: PullRequestRef | None = None
    back_merge_pull_request: PullRequestRef | None = None
    run_id: int | None = None
    run_url: str | None = None
    deployed_sha: str | None = None
    queued_behind: str | None = None
    awaiting: str | None = None  # what the workflow waits for, in words
    awaiting_who: list[str] = Field(default_factory=list)
    message: str | None = None  # the latest thing worth telling a human
    warnings: list[str] = Field(default_factory=list)
    reason: str | None = None  # why it ended as aborted / expired / failed
    timeline: list[StepEvent] = Field(default_factory=list)
    # Signals whose payload could not be read: the signal still counted, its payload did not.
    ignored_inputs: list[str] = Field(default_factory=list)


class HotfixResult(BaseModel):
    """The workflow's result: the final status."""

    status: HotfixStatus


# ---------------------------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------------------------


class ChangesReadySignal(BaseModel):
    by: str | None = None


class RecheckSignal(BaseModel):
    by: str | None = None


class RetryDeploySignal(BaseModel):
    by: str | None = None


class AbortSignal(BaseModel):
    reason: str = "aborted without a reason"
    by: str | None = None


class LaneGrantSignal(BaseModel):
    """From the repository's lane to a hotfix: who is ahead of it, or that it may go."""

    granted: bool = False
    ahead: str | None = None


class LaneEnqueueSignal(BaseModel):
    workflow_id: str = ""


class LaneReleaseSignal(BaseModel):
    workflow_id: str = ""


class LaneState(BaseModel):
    """A lane's input: the hotfixes in line, carried over when the lane continues as new."""

    queue: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Activity inputs and results. One pair per activity method.
# ---------------------------------------------------------------------------------------------


class RepoInput(BaseModel):
    repository: str


class PreflightInput(BaseModel):
    repository: str
    settings: ProcessSettings
    prod_branch: str


class PreflightCheck(BaseModel):
    """One preflight check, as `starter.py doctor` prints it."""

    name: str
    outcome: str  # "pass", "warn" or "fail"
    detail: str
    fix: str | None = None


class PreflightResult(BaseModel):
    default_branch: str
    checks: list[PreflightCheck] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class LaneInput(BaseModel):
    repository: str
    workflow_id: str


class LaneResult(BaseModel):
    lane_workflow_id: str


class HotfixAliveInput(BaseModel):
    workflow_id: str


class HotfixAliveResult(BaseModel):
    alive: bool


class FindBaseInput(BaseModel):
    repository: str
    environment: str
    main_branch: str
    base_ref: str | None = None


class FindBaseResult(BaseModel):
    sha: str
    ref: str
    # "explicit" (base_ref given), "deployment" (last successful deployment) or "main" (none yet)
    source: str


class CreateBranchInput(BaseModel):
    repository: str
    branch: str
    sha: str


class CreateBranchResult(BaseModel):
    branch: str
    sha: str
    created: bool  # False when an earlier attempt (or a human) had already made it at this sha


class CherryPickInput(BaseModel):
    repository: str
    branch: str
    shas: list[str]


class CherryPickResult(BaseModel):
    head_sha: str
    applied: list[str] = Field(default_factory=list)
    skipped_empty: list[str] = Field(default_factory=list)  # already there: success, not an error
    conflict_sha: str | None = None
    conflict_files: list[str] = Field(default_factory=list)


class CompareInput(BaseModel):
    repository: str
    base: str
    head: str


class CompareResult(BaseModel):
    status: str  # GitHub's: ahead, behind, diverged, identical
    ahead_by: int
    behind_by: int
    head_sha: str


class WaitChecksInput(BaseModel):
    repository: str
    ref: str
    poll_interval: timedelta
    # Return only for a head other than this one (after a failure, wait for new commits).
    not_sha: str | None = None


class ChecksResult(BaseModel):
    head_sha: str
    conclusion: str  # "success" or "failure"
    failed: list[str] = Field(default_factory=list)


class OpenPullRequestInput(BaseModel):
    repository: str
    head: str
    base: str
    title: str
    body: str


class ReviewState(StrEnum):
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    MERGED = "merged"
    CLOSED = "closed"


class WaitReviewInput(BaseModel):
    repository: str
    number: int
    poll_interval: timedelta
    # Return as soon as what GitHub shows differs from this, so the status can say so.
    last: ReviewObservation | None = None


class ReviewObservation(BaseModel):
    state: ReviewState
    head_sha: str
    approved_by: list[str] = Field(default_factory=list)
    changes_requested_by: list[str] = Field(default_factory=list)
    mergeable: bool | None = None


class MergeInput(BaseModel):
    repository: str
    number: int
    sha: str
    title: str


class MergeResult(BaseModel):
    merged: bool
    sha: str | None = None
    message: str | None = None  # why not, when not merged (e.g. head moved)


class DispatchInput(BaseModel):
    repository: str
    workflow: str
    ref: str
    # Runs created before this are not ours; set from workflow time when step 7 starts.
    not_before: datetime


class RunRef(BaseModel):
    run_id: int
    url: str
    created: bool = True


class WaitRunInput(BaseModel):
    repository: str
    run_id: int
    environment: str
    poll_interval: timedelta
    last: RunObservation | None = None


class RunObservation(BaseModel):
    status: str  # GitHub's: queued, waiting, in_progress, completed, ...
    conclusion: str | None = None
    html_url: str
    head_sha: str | None = None
    pending_reviewers: list[str] = Field(default_factory=list)  # who can approve now
    # Completed unsuccessfully because a reviewer rejected it: then nothing was deployed.
    rejected: bool = False


class RunInput(BaseModel):
    repository: str
    run_id: int


class RerunResult(BaseModel):
    run_id: int
    rerun: bool


class CommentInput(BaseModel):
    repository: str
    number: int
    body: str


class CommentResult(BaseModel):
    comment_id: int


class CleanupInput(BaseModel):
    repository: str
    pull_requests: list[int] = Field(default_factory=list)
    branches: list[str] = Field(default_factory=list)
    comment: str
    # A deploy run still waiting for reviewers is cancelled, so nobody approves a withdrawn hotfix.
    cancel_run_id: int | None = None


class CleanupResult(BaseModel):
    closed_pull_requests: list[int] = Field(default_factory=list)
    deleted_branches: list[str] = Field(default_factory=list)


WaitReviewInput.model_rebuild()
WaitRunInput.model_rebuild()
