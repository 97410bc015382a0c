"""The lane's state and its activities' inputs and results."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LaneState(BaseModel):
    """A lane's input: the hotfixes in line, carried over when the lane continues as new."""

    queue: list[str] = Field(default_factory=list)


class LaneInput(BaseModel):
    repository: str
    workflow_id: str


class LaneResult(BaseModel):
    lane_workflow_id: str


class HotfixAliveInput(BaseModel):
    workflow_id: str


class HotfixAliveResult(BaseModel):
    alive: bool
