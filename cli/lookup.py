"""Finding a hotfix by its workflow ID and reading its status (status, watch and the signals use them)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError, RPCStatusCode

from cli.context import CliError, Ctx
from hotfix import naming
from hotfix.models import HotfixResult, HotfixStatus
from service.temporal import has_pollers
from workflows.hotfix import HotfixWorkflow

QUERY_TIMEOUT = timedelta(seconds=10)

Hotfix = WorkflowHandle[HotfixWorkflow, HotfixResult]


async def resolve(client: Client, ctx: Ctx, workflow_id: str) -> tuple[Hotfix, WorkflowExecutionDescription]:
    """The hotfix's handle and description; also accepts the ID without its `hotfix/` prefix."""
    candidates = [workflow_id.strip()]
    if not candidates[0].startswith("hotfix/"):
        candidates.append(f"hotfix/{candidates[0]}")
    for candidate in candidates:
        handle = client.get_workflow_handle_for(HotfixWorkflow.run, candidate)
        try:
            description = await handle.describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                continue
            raise
        if description.workflow_type != "HotfixWorkflow":
            raise CliError(f"workflow {candidate!r} is a {description.workflow_type}, not a hotfix")
        return handle, description
    raise CliError(
        f"no hotfix with workflow ID {workflow_id!r} in namespace {ctx.namespace!r} at {ctx.address}; "
        "`starter.py list` shows the hotfixes"
    )


async def read_status(
    client: Client, handle: Hotfix, description: WorkflowExecutionDescription
) -> HotfixStatus:
    """The hotfix's status, read from Temporal alone where it can be (no worker needed, no wait).

    A finished hotfix's result is its final status; a hotfix started on STATUS_IN_MEMO keeps its
    status in its memo (workflows/payloads.py), which the description already holds. Only older
    hotfixes (and ones started without the starter's memo, before their first workflow task) are
    asked with the `status` query, which a worker answers.
    """
    if description.status == WorkflowExecutionStatus.COMPLETED:
        # The result is the final status, readable without a worker.
        return (await handle.result()).status
    in_memo = await memo_status(description)
    if in_memo is not None:
        return in_memo
    # A query is answered by a worker; without one it would only time out, so say why instead.
    if not await has_pollers(client, description.task_queue):
        raise CliError(
            f"no worker polls task queue {description.task_queue!r}, so the hotfix cannot answer the status "
            "query; start worker.py (or `make up`)"
        )
    try:
        return await handle.query(HotfixWorkflow.status, rpc_timeout=QUERY_TIMEOUT)
    except WorkflowQueryFailedError as err:
        raise CliError(f"the status query failed: {err}") from None
    except RPCError as err:
        # Pollers are remembered for a while after a worker dies, so a query can still go unanswered.
        if err.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise CliError(
                f"no worker answered the status query within {QUERY_TIMEOUT.seconds}s; is worker.py running "
                f"on task queue {description.task_queue!r}?"
            ) from None
        raise


async def memo_status(description: WorkflowExecutionDescription) -> HotfixStatus | None:
    """The status the hotfix keeps in its memo, or None when it keeps none."""
    found: HotfixStatus | None = await description.memo_value(
        naming.STATUS_MEMO, None, type_hint=HotfixStatus
    )
    return found


async def no_worker_note(client: Client, description: WorkflowExecutionDescription) -> str | None:
    """For a running hotfix whose task queue no worker polls: that it does not move until one does."""
    if description.status != WorkflowExecutionStatus.RUNNING:
        return None
    if await has_pollers(client, description.task_queue):
        return None
    return (
        f"no worker polls task queue {description.task_queue!r}: the hotfix does not move until one does "
        "(start worker.py, or `make up`)"
    )
