"""The change record of a hotfix (#12 item 1): what GitHub says happened, for the incident review.

Built by RecordActivities.build_record from GitHub's answers (not from what the workflow assumed),
at the end of the hotfix (the workflow's result) or on demand (`starter.py record`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CommitEntry(BaseModel):
    sha: str
    author: str | None = None
    committer: str | None = None
    message: str = ""
    verified: bool = False
    cherry_picked_from: str | None = None


class CheckEntry(BaseModel):
    name: str
    kind: str  # "check run" or "status"
    conclusion: str | None = None
    app: str | None = None
    url: str | None = None


class ReviewEntry(BaseModel):
    reviewer: str
    state: str
    submitted_at: datetime | None = None
    commit_id: str | None = None


class ApprovalEntry(BaseModel):
    """An environment review of the deploy run (`GET /actions/runs/{id}/approvals`)."""

    reviewer: str
    state: str
    comment: str = ""
    environments: list[str] = Field(default_factory=list)


class DeploymentEntry(BaseModel):
    id: int
    sha: str
    ref: str
    creator: str | None = None
    created_at: datetime | None = None
    statuses: list[str] = Field(default_factory=list)  # newest first, as GitHub lists them


class ChangeRecord(BaseModel):
    workflow_id: str
    repository: str
    description: str
    requested_by: str
    incident: str | None = None
    ui_url: str | None = None
    step: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    base_source: str | None = None
    base_ref: str | None = None
    base_sha: str | None = None
    commits: list[CommitEntry] = Field(default_factory=list)
    checks: list[CheckEntry] = Field(default_factory=list)
    pull_request: int | None = None
    pull_request_url: str | None = None
    reviews: list[ReviewEntry] = Field(default_factory=list)
    merged_by: str | None = None
    merge_sha: str | None = None
    merged_head: str | None = None  # the PR head GitHub merged
    reviewed_head: str | None = None  # the newest commit an approval counted on
    run_id: int | None = None
    run_url: str | None = None
    run_attempts: int | None = None
    run_conclusion: str | None = None
    approvals: list[ApprovalEntry] = Field(default_factory=list)
    deployments: list[DeploymentEntry] = Field(default_factory=list)
    back_merge_pull_request: int | None = None
    back_merged_by: str | None = None
    back_merged_at: datetime | None = None
    timeline: list[str] = Field(default_factory=list)
    signals: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    # What could not be read (a permission, a deleted run): said, so nobody takes silence for "none".
    unreadable: list[str] = Field(default_factory=list)
