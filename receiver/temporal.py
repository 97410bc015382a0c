"""The receiver's Temporal side: which hotfixes of a repository run, and the nudge they are sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from hotfix import naming, search_attributes
from hotfix.models import HotfixStatus, RecheckSignal
from hotfix.render import WEBHOOK_SENDER

# GitHub gives up on a delivery after 10 s; a query no worker answers must not use that up.
QUERY_TIMEOUT = timedelta(seconds=2)


class Hotfixes:
    """A hotfix's branches never change once cut: read once (from its memo, else its `status` query),
    then remembered. The memo needs no worker, so hotfixes whose worker is down cost no waiting."""

    def __init__(self, client: Client, query_timeout: timedelta = QUERY_TIMEOUT) -> None:
        self._client = client
        self._query_timeout = query_timeout
        self._branches: dict[str, set[str]] = {}

    async def running(self, repository: str) -> dict[str, set[str]]:
        executions = await self._running(repository)
        found = await asyncio.gather(*(self._names(execution) for execution in executions))
        return {execution.id: names for execution, names in zip(executions, found, strict=True)}

    async def _names(self, execution: WorkflowExecution) -> set[str]:
        known = self._branches.get(execution.id)
        if known is not None:
            return known
        status = await self._from_memo(execution)
        if status is None:
            status = await self._ask(execution.id)
        names = {b for b in (status.work_branch, status.prod_branch) if b} if status else set()
        if len(names) == 2:
            self._branches[execution.id] = names
        return names

    @staticmethod
    async def _from_memo(execution: WorkflowExecution) -> HotfixStatus | None:
        try:
            found: HotfixStatus | None = await execution.memo_value(
                naming.STATUS_MEMO, None, type_hint=HotfixStatus
            )
        except Exception:  # a memo written by something else: ask the hotfix instead
            return None
        return found

    async def _ask(self, workflow_id: str) -> HotfixStatus | None:
        try:
            status: HotfixStatus = await self._client.get_workflow_handle(workflow_id).query(
                "status", result_type=HotfixStatus, rpc_timeout=self._query_timeout
            )
        except RPCError:
            return None  # no worker answers now: not remembered, asked again at the next delivery
        return status

    async def _running(self, repository: str) -> list[WorkflowExecution]:
        # GitHub's names hold no quotes; refuse anything that could change the query's meaning.
        if "'" in repository or "\\" in repository:
            return []
        query = (
            f"WorkflowType = 'HotfixWorkflow' AND ExecutionStatus = 'Running' AND "
            f"{search_attributes.REPOSITORY.name} = '{repository}'"
        )
        return [execution async for execution in self._client.list_workflows(query)]

    async def nudge(self, workflow_id: str, event: str, delivery: str) -> None:
        handle = self._client.get_workflow_handle(workflow_id)
        await handle.signal("recheck", RecheckSignal(by=f"{WEBHOOK_SENDER} {event} {delivery}".strip()))
