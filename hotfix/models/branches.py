"""Inputs and results of the branch activities: base, refs, cherry-picks, compare, cleanup."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FindBaseInput(BaseModel):
    repository: str
    environment: str
    main_branch: str
    base_ref: str | None = None


class FindBaseResult(BaseModel):
    sha: str
    ref: str
    # "explicit" (base_ref given), "deployment" (last successful deployment) or "main" (none yet)
    source: Literal["explicit", "deployment", "main"]
    # The Deployment it came from (source "deployment"): who made it and when, for the dry run's plan.
    deployment_id: int | None = None
    deployment_creator: str | None = None
    deployment_created_at: str | None = None


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


class CleanupInput(BaseModel):
    repository: str
    pull_requests: list[int] = Field(default_factory=list)
    branches: list[str] = Field(default_factory=list)
    comment: str
    # A deploy run still waiting for reviewers is cancelled, so nobody approves a withdrawn hotfix.
    cancel_run_id: int | None = None
    # What the branches were cut from: a branch with commits beyond it holds people's work and is
    # renamed under `kept_prefix` instead of deleted. None: delete as before (old workflows).
    base_sha: str | None = None
    kept_prefix: str = "hotfix-kept/"


class CleanupResult(BaseModel):
    closed_pull_requests: list[int] = Field(default_factory=list)
    deleted_branches: list[str] = Field(default_factory=list)
    kept_branches: dict[str, str] = Field(default_factory=dict)  # old name -> the name it is kept under
