"""Inputs and results of the pull-request activities and of the waits for checks and reviews."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from hotfix.models.rules import RequiredCheck
from hotfix.models.status import PullRequestRef


class WaitChecksInput(BaseModel):
    repository: str
    ref: str
    poll_interval: timedelta
    # Return only for a head other than this one (after a failure, wait for new commits).
    not_sha: str | None = None
    # The checks GitHub's rules require, and who must report them; [] none configured (then every
    # check suite CI starts must pass); None every check counts (workflows from before).
    required: list[RequiredCheck] | None = None


class ChecksResult(BaseModel):
    head_sha: str
    conclusion: Literal["success", "failure"]
    failed: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # checks nobody requires that failed


class OpenPullRequestInput(BaseModel):
    repository: str
    head: str
    base: str
    title: str
    body: str
    # Asked to review once the PR exists: logins and `org/team` slugs.
    reviewers: list[str] = Field(default_factory=list)


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
    # Approvals by an author or committer of a commit in the PR do not count (separation of duties).
    independent: bool = True
    # How many counting approvals of the head make the PR approved (the rules may ask more).
    required_approvals: int = 1
    # HOTFIX_APPROVERS: logins and `org/team` slugs; when set, only they may approve (never widens
    # what GitHub allows: write access is needed anyway).
    approvers: list[str] = Field(default_factory=list)
    # Return as soon as what GitHub shows differs from this, so the status can say so.
    last: ReviewObservation | None = None


class ReviewObservation(BaseModel):
    """What GitHub shows of a PR. `approved_by` are the approvals that count: each given on `head_sha`
    (an approval is of the commit it was given on), by someone other than the fix's authors."""

    state: ReviewState
    head_sha: str
    approved_by: list[str] = Field(default_factory=list)
    changes_requested_by: list[str] = Field(default_factory=list)
    mergeable: bool | None = None
    base_ref: str | None = None  # where the PR would merge now: people can retarget it
    merge_commit_sha: str | None = None  # once merged
    # Approvals that do not count, each with why ("prod-reviewer-1: approved 1a2b3c, not the head").
    ignored_approvals: list[str] = Field(default_factory=list)
    # Counted, but worth a warning (e.g. an author's approval with independent review off).
    flags: list[str] = Field(default_factory=list)
    # Who wrote or committed the PR's commits (separation of duties reaches the deployment too).
    authors: list[str] = Field(default_factory=list)
    # Who GitHub shows as asked to review (users, and teams as `org/slug`): who is awaited.
    requested_reviewers: list[str] = Field(default_factory=list)
    # Once closed without merging: an open PR from the same head branch, which people opened instead.
    successor: PullRequestRef | None = None


class MergeInput(BaseModel):
    repository: str
    number: int
    sha: str
    title: str


class MergeResult(BaseModel):
    merged: bool
    sha: str | None = None
    message: str | None = None  # why not, when not merged (e.g. head moved)


class CommentInput(BaseModel):
    repository: str
    number: int
    body: str


class CommentResult(BaseModel):
    comment_id: int


class ConflictInput(BaseModel):
    """A PR `head -> base` that GitHub cannot merge (`mergeable: false`, `mergeable_state: dirty`)."""

    repository: str
    number: int
    base: str
    head: str
    # Asked to review, and named in the comment: who resolves it (the hotfix's requester).
    requester: str
    label: str = "hotfix-conflict"


class ConflictResult(BaseModel):
    # Files changed on both sides since their merge base, differently: where the conflicts are.
    files: list[str] = Field(default_factory=list)
    comment_id: int
    labelled: bool = True
    reviewer_requested: bool = True


WaitReviewInput.model_rebuild()
