"""Rollback (#12 item 4): what `starter.py rollback` asks for, and what the worker finds on GitHub."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from hotfix.models.process import ProcessSettings


class RollbackRequest(BaseModel):
    """Input of RollbackWorkflow. `day` is fixed by the starter so names never depend on replay time."""

    repository: str
    reason: str
    requested_by: str
    day: date
    slug: str  # names the workflow ID (and the rollback branch, if one is needed)
    # The deployment to go back to; None: the one before what the environment runs now.
    to_deployment: int | None = None
    incident: str | None = None
    settings: ProcessSettings


class FindRollbackInput(BaseModel):
    repository: str
    environment: str
    to_deployment: int | None = None


class RollbackTarget(BaseModel):
    """What runs now and what to go back to, both as the environment's Deployments record them."""

    current_deployment: int
    current_sha: str
    current_ref: str
    deployment: int
    sha: str
    ref: str
    # The ref's head now: when it moved past `sha`, the rollback deploys a new branch made at `sha`.
    ref_head: str


class MidDeployInput(BaseModel):
    repository: str
    workflow_id: str  # the rollback itself, which may already be in the lane


class MidDeployResult(BaseModel):
    """A hotfix of the repository that has merged but not yet deployed, if one runs."""

    workflow_id: str | None = None
    step: str | None = None
