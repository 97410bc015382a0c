"""Input and result of the notify activity (activities/notify.py): what to tell, never where.

The chat targets (HOTFIX_NOTIFY_URLS) are the worker's: they carry tokens, so they never enter an
input, a result or the history. The workflow says only which event of which hotfix it is.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class NotifyInput(BaseModel):
    # Stable per hotfix, event and occurrence (the workflow's own count): a retry carries the same key.
    key: str
    event: str
    repository: str
    description: str
    awaiting: str | None = None
    who: list[str] = Field(default_factory=list)
    deadline: datetime | None = None
    # Why a hotfix ended, or the last note (e.g. what blocked it).
    note: str | None = None
    # Label -> URL, in the order shown: the PR, the deploy run, the back-merge, the Temporal UI.
    links: dict[str, str] = Field(default_factory=dict)


class NotifyResult(BaseModel):
    sent: int = 0  # targets that took the message in this attempt
    already_sent: int = 0  # targets an earlier attempt of the same key reached (not sent again)
    failed: int = 0  # targets given up on after the last attempt
