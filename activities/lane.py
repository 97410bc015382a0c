"""LaneActivities: join a repository's lane with signal-with-start, the one thing a workflow can't do."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from hotfix import naming
from hotfix.models import (
    HotfixAliveInput,
    HotfixAliveResult,
    LaneEnqueueSignal,
    LaneInput,
    LaneResult,
    LaneState,
)

# By name: workflows/lane.py runs this module's activities, so importing it here would be a circle.
LANE_WORKFLOW = "LaneWorkflow"


class LaneActivities:
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    @activity.defn
    async def enqueue(self, input: LaneInput) -> LaneResult:
        """Join the repository's lane (signal-with-start). Idempotent: the lane ignores an ID it holds."""
        lane_id = naming.lane_workflow_id(input.repository)
        await self._client.start_workflow(
            LANE_WORKFLOW,
            LaneState(),
            id=lane_id,
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            start_signal="enqueue",
            start_signal_args=[LaneEnqueueSignal(workflow_id=input.workflow_id)],
            static_summary=f"Hotfix lane for {input.repository}",
        )
        return LaneResult(lane_workflow_id=lane_id)

    @activity.defn
    async def hotfix_alive(self, input: HotfixAliveInput) -> HotfixAliveResult:
        """Whether a hotfix still runs: one terminated from outside never tells its lane."""
        try:
            description = await self._client.get_workflow_handle(input.workflow_id).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return HotfixAliveResult(alive=False)
            raise
        return HotfixAliveResult(alive=description.status == WorkflowExecutionStatus.RUNNING)
