"""Inputs and results of the deploy activities and of the wait for the deploy run."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field


class DispatchInput(BaseModel):
    repository: str
    workflow: str
    ref: str
    # Runs created before this are not ours; set from workflow time when step 7 starts.
    not_before: datetime
    # The commit the run must deploy (what the hotfix PR's merge made); a run at another sha is not ours.
    head_sha: str | None = None


class RunRef(BaseModel):
    run_id: int
    url: str
    created: bool = True
    # Other runs of this dispatch (a retry after an answer that came late) that were cancelled.
    cancelled: list[int] = Field(default_factory=list)


class WaitRunInput(BaseModel):
    repository: str
    run_id: int
    environment: str
    poll_interval: timedelta
    last: RunObservation | None = None
    # The dispatch that made the run: any other run it made (a late answer, a retry) is cancelled.
    dispatch: DispatchInput | None = None


class RunObservation(BaseModel):
    # GitHub's (queued, waiting, in_progress, completed, ...), kept a str: GitHub adds states, and a
    # Literal would fail the poll on one it does not know.
    status: str
    conclusion: str | None = None
    html_url: str
    head_sha: str | None = None
    pending_reviewers: list[str] = Field(default_factory=list)  # who can approve now
    # Completed unsuccessfully because a reviewer rejected it: then nothing was deployed.
    rejected: bool = False
    # Who approved the run's deployments (read once it completed).
    approved_by: list[str] = Field(default_factory=list)
    # Stray runs of the same dispatch found and cancelled at this look.
    cancelled: list[int] = Field(default_factory=list)


class RunInput(BaseModel):
    repository: str
    run_id: int


class RerunResult(BaseModel):
    run_id: int
    rerun: bool


WaitRunInput.model_rebuild()
