"""LaneWorkflow: one per repository, lets its hotfixes through one at a time.

The runbook's important note: a later hotfix must start from what the earlier one deployed. So a
hotfix waits in the lane until the one ahead is deployed, aborted or expired, and only then looks
at what production runs. Hotfixes join with signal-with-start (activities/lane.py) and leave with
the `release` signal.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.versions import LANE_PROBES_ON_JOIN

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.lane import LANE_WORKFLOW, LaneActivities
    from hotfix.models import (
        HotfixAliveInput,
        LaneEnqueueSignal,
        LaneGrantSignal,
        LaneReleaseSignal,
        LaneState,
    )

S = TypeVar("S", LaneEnqueueSignal, LaneReleaseSignal)

# An empty lane lingers a little so a burst of hotfixes reuses one run.
IDLE = timedelta(hours=1)
# Bounded history: hand over to a fresh run after this many grants.
GRANTS_PER_RUN = 500
# How often the lane makes sure the hotfix at its head still exists: one terminated from outside
# never sends `release`, and must not hold every later hotfix of the repository forever.
PROBE = timedelta(hours=1)


# Named where the lane is started by name (activities/lane.py), so the two cannot drift apart.
@workflow.defn(name=LANE_WORKFLOW)
class LaneWorkflow:
    @workflow.init
    def __init__(self, state: LaneState) -> None:
        self._queue: list[str] = list(state.queue)
        self._since: dict[str, datetime] = dict(state.since)
        self._told: dict[str, tuple[bool, str | None]] = {}
        self._grants = 0
        self._joined = False

    @workflow.run
    async def run(self, state: LaneState) -> None:
        if state.settle:
            # Started by a hotfix whose lane vanished: the others in that line re-join within their
            # watch interval; grant nobody before they are back in their first order.
            await workflow.sleep(state.settle)
        while True:
            await self._tell_everyone()
            if not self._queue:
                try:
                    await workflow.wait_condition(lambda: bool(self._queue), timeout=IDLE)
                except TimeoutError:
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    if not self._queue:
                        return
                continue
            head = self._queue[0]
            try:
                await workflow.wait_condition(partial(self._moved, head), timeout=PROBE)
            except TimeoutError:
                await self._drop_if_gone(head)
            else:
                # Someone joined behind the head: make sure the head still runs, now, not within the hour.
                if self._joined and workflow.patched(LANE_PROBES_ON_JOIN):
                    self._joined = False
                    if self._queue and self._queue[0] == head:
                        await self._drop_if_gone(head)
            if self._grants >= GRANTS_PER_RUN or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                since = {wid: t for wid, t in self._since.items() if wid in self._queue}
                workflow.continue_as_new(LaneState(queue=self._queue, since=since))

    async def _drop_if_gone(self, head: str) -> None:
        # Asked of Temporal, not of the hotfix: a signal per probe would grow the hotfix's history.
        alive = await workflow.execute_activity_method(
            LaneActivities.hotfix_alive,
            HotfixAliveInput(workflow_id=head),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        if not alive.alive and head in self._queue:
            workflow.logger.warning("dropping %s from the lane: it no longer runs", head)
            self._queue.remove(head)
            self._told.pop(head, None)

    def _moved(self, head: str) -> bool:
        return not self._queue or self._queue[0] != head or self._changed()

    def _changed(self) -> bool:
        return any(self._told.get(wid) != self._wanted(i) for i, wid in enumerate(self._queue))

    def _wanted(self, index: int) -> tuple[bool, str | None]:
        return (True, None) if index == 0 else (False, self._queue[0])

    async def _tell_everyone(self) -> None:
        for index, wid in enumerate(list(self._queue)):
            wanted = self._wanted(index)
            if self._told.get(wid) == wanted:
                continue
            granted, ahead = wanted
            try:
                await workflow.get_external_workflow_handle(wid).signal(
                    "lane_update", LaneGrantSignal(granted=granted, ahead=ahead)
                )
            except Exception as err:  # a hotfix that is gone must not block the lane
                workflow.logger.warning("dropping %s from the lane: %s", wid, err)
                self._queue.remove(wid)
                continue
            self._told[wid] = wanted
            if granted:
                self._grants += 1

    # Handlers take any payload or none: a lane signalled by hand with junk must not wedge every
    # hotfix of the repository. A payload without a workflow ID is ignored, with a warning.

    @workflow.signal
    def enqueue(self, signal: Any = None) -> None:
        join = self._read(LaneEnqueueSignal, signal, "enqueue")
        if join is None or not join.workflow_id or join.workflow_id in self._queue:
            return
        wid = join.workflow_id
        # A re-joiner from a vanished lane: the hotfix granted there still runs, so it goes first.
        if join.ahead and join.ahead not in self._queue:
            self._queue.insert(0, join.ahead)
        if join.since is None:
            self._queue.append(wid)
        else:
            self._since[wid] = join.since
            # In the order they first joined, behind the head (a grant is never taken back).
            at = len(self._queue)
            while at > 1 and self._joined_after(self._queue[at - 1], join.since):
                at -= 1
            self._queue.insert(at, wid)
        self._joined = len(self._queue) > 1

    def _joined_after(self, wid: str, since: datetime) -> bool:
        # Who joined this lane itself (no earlier lane) joined after every re-joiner from that lane.
        first = self._since.get(wid)
        return first is None or first > since

    @workflow.signal
    def release(self, signal: Any = None) -> None:
        leave = self._read(LaneReleaseSignal, signal, "release")
        wid = leave.workflow_id if leave is not None else ""
        if wid in self._queue:
            self._queue.remove(wid)
        self._told.pop(wid, None)
        self._since.pop(wid, None)

    @staticmethod
    def _read(model: type[S], raw: object, name: str) -> S | None:
        try:
            return model.model_validate(raw if raw is not None else {})
        except ValidationError:
            workflow.logger.warning("lane signal %s with an unreadable payload ignored: %r", name, raw)
            return None

    @workflow.query
    def queue(self) -> list[str]:
        return list(self._queue)
