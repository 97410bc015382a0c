"""The status a hotfix keeps in its memo (workflows/payloads.py, STATUS_IN_MEMO), read with a describe.

Temporal answers a describe by itself, whatever the workers are doing, where a `status` query waits for
a worker and, in a burst, behind a thousand other hotfixes' workflow tasks. The memo shows the status
as of the hotfix's last workflow task; the query also takes in the task pending (an activity that
just completed).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import WorkflowExecutionDescription, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from hotfix import naming
from hotfix.models import HotfixStatus

# How long a status query may wait for a worker before the memo answers instead.
QUERY_PATIENCE = timedelta(seconds=5)


async def memo_status(description: WorkflowExecutionDescription) -> HotfixStatus | None:
    """The status the hotfix keeps in its memo, or None when it keeps none (started before it)."""
    found: HotfixStatus | None = await description.memo_value(
        naming.STATUS_MEMO, None, type_hint=HotfixStatus
    )
    return found


async def current_status(handle: WorkflowHandle, patience: timedelta = QUERY_PATIENCE) -> HotfixStatus:
    """The status as the `status` query answers it (after the hotfix's pending workflow task, so a
    merge that just completed is in it); when no worker answers within `patience` (none runs, or a
    burst keeps them busy), the memo's, as of the last workflow task; the query's error when the
    hotfix keeps no memo either."""
    try:
        queried: HotfixStatus = await handle.query("status", result_type=HotfixStatus, rpc_timeout=patience)
        return queried
    except (RPCError, WorkflowQueryFailedError) as err:
        if isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND:
            raise
        in_memo = await memo_status(await handle.describe())
        if in_memo is None:
            raise
        return in_memo
