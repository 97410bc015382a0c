"""Payloads of the signals people (and the lane) send.

Every field has a default: a signal without payload must work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

Sha = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9a-fA-F]{7,40}$")]


class ChangesReadySignal(BaseModel):
    by: str | None = None


class RecheckSignal(BaseModel):
    by: str | None = None
    # A corrected cherry-pick list for a hotfix blocked while cherry-picking (None: keep the list).
    cherry_picks: list[Sha] | None = None


class RetryDeploySignal(BaseModel):
    by: str | None = None


class AbortSignal(BaseModel):
    reason: str = "aborted without a reason"
    by: str | None = None


class LaneGrantSignal(BaseModel):
    """From the repository's lane to a hotfix: who is ahead of it, or that it may go."""

    granted: bool = False
    ahead: str | None = None


class LaneEnqueueSignal(BaseModel):
    workflow_id: str = ""
    # When the hotfix first joined: a lane started anew (the old one terminated) orders by it.
    since: datetime | None = None
    # The hotfix granted ahead of it when its lane vanished: it still runs and still goes first.
    ahead: str | None = None


class LaneReleaseSignal(BaseModel):
    workflow_id: str = ""
