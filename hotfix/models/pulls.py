"""Inputs and results of the pull-request activities and of the waits for checks and reviews."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel, Field


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


class CommentInput(BaseModel):
    repository: str
    number: int
    body: str


class CommentResult(BaseModel):
    comment_id: int


WaitReviewInput.model_rebuild()
