"""The receiver's Temporal side: which hotfixes of a repository run, and the nudge they are sent."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import RPCError

from hotfix import search_attributes
from hotfix.models import HotfixStatus, RecheckSignal


class Hotfixes:
    """A hotfix's branches never change once cut: asked once (its `status` query), then remembered."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._branches: dict[str, set[str]] = {}

    async def running(self, repository: str) -> dict[str, set[str]]:
        out = {}
        for workflow_id in await self._running_ids(repository):
            known = self._branches.get(workflow_id)
            if known is None:
                known = await self._ask(workflow_id)
            out[workflow_id] = known
        return out

    async def _ask(self, workflow_id: str) -> set[str]:
        try:
            status = await self._client.get_workflow_handle(workflow_id).query(
                "status", result_type=HotfixStatus
            )
        except RPCError:
            return set()  # no worker answers now: not remembered, asked again at the next delivery
        names = {b for b in (status.work_branch, status.prod_branch) if b}
        if len(names) == 2:
            self._branches[workflow_id] = names
        return names

    async def _running_ids(self, repository: str) -> list[str]:
        # GitHub's names hold no quotes; refuse anything that could change the query's meaning.
        if "'" in repository or "\\" in repository:
            return []
        query = (
            f"WorkflowType = 'HotfixWorkflow' AND ExecutionStatus = 'Running' AND "
            f"{search_attributes.REPOSITORY.name} = '{repository}'"
        )
        return [execution.id async for execution in self._client.list_workflows(query)]

    async def nudge(self, workflow_id: str, event: str, delivery: str) -> None:
        handle = self._client.get_workflow_handle(workflow_id)
        await handle.signal("recheck", RecheckSignal(by=f"webhook {event} {delivery}".strip()))
