"""What the `status` query returns, the CLI prints and the UI's current details render."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from hotfix.models.record import ChangeRecord
from hotfix.models.rollback import RollbackTarget

# The failure type of a poll between two looks (activities/waits.py): Temporal retries it one poll
# interval later. Whoever shows a pending activity's last failure shows it as waiting, not failing.
NOT_YET = "NotYet"


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
    tested_sha: str | None = None  # the working-branch head whose checks passed
    merged_sha: str | None = None  # what the hotfix PR's merge made on the prod branch: what may deploy
    # Branches with people's commits that a withdrawal kept (renamed under the kept-branch prefix).
    kept_branches: list[str] = Field(default_factory=list)
    required_checks: list[str] = Field(default_factory=list)  # what the prod branch's rules require
    required_approvals: int = 1  # counting approvals of the head the PR needs (GitHub's rules may ask more)
    # Approvals that did not count at the last look, with why (stale, by an author, by a bot, ...).
    ignored_approvals: list[str] = Field(default_factory=list)
    queued_behind: str | None = None
    awaiting: str | None = None  # what the workflow waits for, in words
    awaiting_who: list[str] = Field(default_factory=list)
    message: str | None = None  # the latest thing worth telling a human
    warnings: list[str] = Field(default_factory=list)
    reason: str | None = None  # why it ended as aborted / expired / failed
    timeline: list[StepEvent] = Field(default_factory=list)
    # Signals whose payload could not be read: the signal still counted, its payload did not.
    ignored_inputs: list[str] = Field(default_factory=list)
    # The latest signals people sent, with who sent them (from the payload's `by`; signals from the
    # Temporal UI carry no identity) and, for one without a payload, that the defaults were used.
    signals: list[str] = Field(default_factory=list)
    # The webhook receiver's rechecks (`by: "webhook EVENT DELIVERY"`): GitHub's nudges to look again,
    # sent by no person, counted here rather than listed in `signals`, where a busy CI would push the
    # people's signals out of the last ten; the last one as it would have been listed.
    webhook_nudges: int = 0
    last_webhook_nudge: str | None = None
    # A rollback's current deployment and the one it goes back to (None for a hotfix).
    rollback: RollbackTarget | None = None


class HotfixResult(BaseModel):
    """The workflow's result: the final status, and the change record (hotfix/models/record.py) of a
    hotfix that ended done, aborted or expired, started on CHANGE_RECORD."""

    status: HotfixStatus
    record: ChangeRecord | None = None


class DecisionResult(BaseModel):
    """What an update carrying a person's decision returns (workflows/updates.py): where the hotfix
    is once it took the decision, and what happens next."""

    step: Step
    awaiting: str | None = None
    message: str = ""
