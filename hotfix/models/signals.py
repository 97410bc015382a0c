"""Payloads of the signals people (and the lane) send.

Every field has a default: a signal without payload must work.
"""

from __future__ import annotations

from pydantic import BaseModel


class ChangesReadySignal(BaseModel):
    by: str | None = None


class RecheckSignal(BaseModel):
    by: str | None = None


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


class LaneReleaseSignal(BaseModel):
    workflow_id: str = ""
