"""The input and result of building a change record (activities/record.py)."""

from __future__ import annotations

from pydantic import BaseModel

from hotfix.models.record import ChangeRecord
from hotfix.models.status import HotfixStatus


class RecordInput(BaseModel):
    """What the workflow knows: the identities of what it made. Everything else is read from GitHub."""

    status: HotfixStatus
    incident: str | None = None
    ui_url: str | None = None
    # The sha the hotfix PR was merged at (its approved head) and the environment deployed to.
    environment: str = "prod"
    # Post (or update in place) the record as a comment on the hotfix PR.
    comment: bool = False


class RecordResult(BaseModel):
    record: ChangeRecord
    comment_id: int | None = None
