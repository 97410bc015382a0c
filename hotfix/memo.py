"""The status a hotfix keeps in its memo (workflows/payloads.py, STATUS_IN_MEMO), read with a describe.

Temporal answers a describe by itself, whatever the workers are doing, where a `status` query waits for
a worker and, in a burst, behind a thousand other hotfixes' workflow tasks. Both show the status as of
the hotfix's last workflow task.
"""

from __future__ import annotations

from temporalio.client import WorkflowExecutionDescription, WorkflowHandle

from hotfix import naming
from hotfix.models import HotfixStatus


async def memo_status(description: WorkflowExecutionDescription) -> HotfixStatus | None:
    """The status the hotfix keeps in its memo, or None when it keeps none (started before it)."""
    found: HotfixStatus | None = await description.memo_value(
        naming.STATUS_MEMO, None, type_hint=HotfixStatus
    )
    return found


async def current_status(handle: WorkflowHandle) -> HotfixStatus:
    """The status from the memo; from the `status` query for a hotfix that keeps none."""
    in_memo = await memo_status(await handle.describe())
    if in_memo is not None:
        return in_memo
    queried: HotfixStatus = await handle.query("status", result_type=HotfixStatus)
    return queried
