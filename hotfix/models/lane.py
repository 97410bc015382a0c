"""The lane's state and its activities' inputs and results."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field


class LaneState(BaseModel):
    """A lane's input: the hotfixes in line, carried over when the lane continues as new."""

    queue: list[str] = Field(default_factory=list)
    # When each hotfix in line first joined (given by re-joiners), carried over too.
    since: dict[str, datetime] = Field(default_factory=dict)
    # Started by a hotfix whose lane vanished: how long to wait for the others of that line to re-join
    # (their watch interval, with room) before granting anyone.
    settle: timedelta | None = None


class LaneInput(BaseModel):
    repository: str
    workflow_id: str


class LaneResult(BaseModel):
    lane_workflow_id: str


class HotfixAliveInput(BaseModel):
    workflow_id: str


class HotfixAliveResult(BaseModel):
    alive: bool


class WatchLaneInput(BaseModel):
    """A queued hotfix keeps an eye on its lane; if the lane vanished, it re-joins a new one."""

    repository: str
    workflow_id: str
    since: datetime
    ahead: str | None = None
    interval: timedelta = timedelta(seconds=30)


class WatchLaneResult(BaseModel):
    rejoined: bool  # False: nothing happened for a while; watch again
