"""LaneActivities: join a repository's lane with signal-with-start, the one thing a workflow can't do."""

from __future__ import annotations

import time
from datetime import timedelta

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.stopping import stopping_within
from hotfix import naming
from hotfix.memo import current_status
from hotfix.models import (
    HotfixAliveInput,
    HotfixAliveResult,
    LaneEnqueueSignal,
    LaneInput,
    LaneResult,
    LaneState,
    MidDeployInput,
    MidDeployResult,
    WatchLaneInput,
    WatchLaneResult,
)

# By name: workflows/lane.py runs this module's activities, so importing it here would be a circle.
LANE_WORKFLOW = "LaneWorkflow"
# A watch ends after this long with nothing to report, so it never outlives its start-to-close.
WATCH_FOR = timedelta(minutes=50)


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
        return HotfixAliveResult(alive=await self._running(input.workflow_id))

    @activity.defn
    async def watch_lane(self, input: WatchLaneInput) -> WatchLaneResult:
        """While a hotfix is queued: if its lane's run ends other than by continuing as new (terminated
        from outside, say), re-join a new lane, carrying when it first joined and who was granted
        ahead, so the order survives. The run is followed by ID: a new lane that another re-joiner
        started runs under the same workflow ID, yet does not hold this hotfix."""
        lane_id = naming.lane_workflow_id(input.repository)
        until = time.monotonic() + WATCH_FOR.total_seconds()
        run_id: str | None = None
        while time.monotonic() < until:
            run_id, status = await self._lane_run(lane_id, run_id)
            if status == WorkflowExecutionStatus.CONTINUED_AS_NEW:
                run_id = None  # the next run carries the queue: follow it
                continue
            if status != WorkflowExecutionStatus.RUNNING:
                activity.logger.warning("lane %s is gone: %s joins a new one", lane_id, input.workflow_id)
                await self._client.start_workflow(
                    LANE_WORKFLOW,
                    LaneState(settle=input.interval * 2 + timedelta(seconds=1)),
                    id=lane_id,
                    task_queue=self._task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    start_signal="enqueue",
                    start_signal_args=[
                        LaneEnqueueSignal(workflow_id=input.workflow_id, since=input.since, ahead=input.ahead)
                    ],
                    static_summary=f"Hotfix lane for {input.repository}",
                )
                return WatchLaneResult(rejoined=True)
            activity.heartbeat()
            if await stopping_within(input.interval.total_seconds()):
                break  # harmless to restart: the workflow watches again from another worker
        return WatchLaneResult(rejoined=False)

    @activity.defn
    async def mid_deploy(self, input: MidDeployInput) -> MidDeployResult:
        """A hotfix in the repository's lane that has merged and not deployed yet (a rollback must not
        slip between its merge and its deploy), asked of the lane and of each hotfix in it."""
        lane = self._client.get_workflow_handle(naming.lane_workflow_id(input.repository))
        try:
            queue: list[str] = await lane.query("queue", result_type=list[str])
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return MidDeployResult()  # no lane: no hotfix runs
            raise
        for workflow_id in queue:
            if workflow_id == input.workflow_id:
                continue
            try:
                # The query, or the memo when no worker answers it soon (with none, it never came back).
                status = await current_status(self._client.get_workflow_handle(workflow_id))
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    continue
                raise
            if status.merged_sha and not status.deployed_sha and not status.step.terminal:
                return MidDeployResult(workflow_id=workflow_id, step=status.step.value)
        return MidDeployResult()

    async def _lane_run(
        self, lane_id: str, run_id: str | None
    ) -> tuple[str | None, WorkflowExecutionStatus | None]:
        """The run (the latest when `run_id` is None) and its status; None when there is none."""
        try:
            description = await self._client.get_workflow_handle(lane_id, run_id=run_id).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return run_id, None
            raise
        return description.run_id, description.status

    async def _running(self, workflow_id: str) -> bool:
        try:
            description = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return description.status == WorkflowExecutionStatus.RUNNING
