"""Inputs and results of the preflight activity."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hotfix.models.process import ProcessSettings


class RepoInput(BaseModel):
    repository: str


class PreflightInput(BaseModel):
    repository: str
    settings: ProcessSettings
    prod_branch: str
    # What the person typed at start, checked to exist before anything is created (doctor: none).
    base_ref: str | None = None
    cherry_picks: list[str] = Field(default_factory=list)
    # Who asked (`--by`), checked to be a GitHub user before any PR names them (doctor: none).
    requested_by: str | None = None


class PreflightCheck(BaseModel):
    """One preflight check, as `starter.py doctor` prints it."""

    name: str
    outcome: Literal["pass", "warn", "fail"]
    detail: str
    fix: str | None = None


class PreflightResult(BaseModel):
    default_branch: str
    checks: list[PreflightCheck] = Field(default_factory=list)
    reviewers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    # The environment refuses an approval by whoever triggered the run.
    prevent_self_review: bool = False
    # The worker has chat targets (HOTFIX_NOTIFY_URLS): the hotfix tells people at each wait. Only
    # whether, never where (the URLs carry tokens and stay in the worker).
    notify: bool = False
