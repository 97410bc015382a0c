"""A repository's lane survives being terminated from outside (#9 item 3): the hotfixes queued in it
re-join a new lane in the order they first joined, behind the hotfix that was already going, and
one-at-a-time holds throughout. The real activities and worker against the sandbox GitHub."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.lane import LANE_WORKFLOW
from hotfix import naming
from hotfix.models import AbortSignal, LaneEnqueueSignal, LaneState, Step
from hotfix.outcome import final_result
from local.humans import wait_for
from tests.integration.conftest import REPO, start
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration

LANE = naming.lane_workflow_id(REPO)


async def lane_queue(client: Client) -> list[str]:
    """The queue of the lane that runs now (a terminated run still answers queries: not that one)."""
    handle = client.get_workflow_handle(LANE)
    if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
        return []
    return list(await handle.query("queue", result_type=list[str]))


async def lane_is(client: Client, wanted: list[str]) -> None:
    seen: list[str] = []
    for _ in range(200):
        try:
            seen = await lane_queue(client)
        except Exception:  # between the old lane's end and the new one's first task
            seen = []
        if seen == wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the lane holds {seen}, not {wanted}")


async def abort(handle: WorkflowHandle) -> None:
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_a_terminated_lane_is_rejoined_in_the_first_order(
    local_env: WorkflowEnvironment, sandbox: object, worker: None, task_queue: str, unique: str
) -> None:
    client = local_env.client
    first = await start(client, task_queue, f"a{unique}")
    await wait_for(first, lambda s: s.step == Step.CHANGES, "the first at changes")
    second = await start(client, task_queue, f"b{unique}")
    await wait_for(second, lambda s: s.queued_behind == first.id, "the second queued")
    third = await start(client, task_queue, f"c{unique}")
    await wait_for(third, lambda s: s.queued_behind == first.id, "the third queued")
    await client.get_workflow_handle(LANE).terminate("an operator cleaning up")
    # A new lane, the first still ahead (it runs), then the others as they first joined.
    await lane_is(client, [first.id, second.id, third.id])
    await asyncio.sleep(0.5)
    assert (await second.query(HotfixWorkflow.status)).step == Step.QUEUED
    await abort(first)
    await wait_for(second, lambda s: s.step == Step.CHANGES, "the second's turn")
    status = await wait_for(third, lambda s: s.queued_behind == second.id, "the third behind the second")
    assert status.step == Step.QUEUED
    await abort(second)
    await wait_for(third, lambda s: s.step == Step.CHANGES, "the third's turn")
    await abort(third)


async def test_a_new_lane_orders_re_joiners_by_when_they_first_joined(
    local_env: WorkflowEnvironment, sandbox: object, worker: None, task_queue: str, unique: str
) -> None:
    # Re-joins reach the new lane in whatever order their watches noticed; the lane restores the first.
    client = local_env.client
    early = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    handle = await client.start_workflow(
        LANE_WORKFLOW,
        LaneState(settle=timedelta(hours=1)),  # no grant during the test
        id=f"hotfix-lane/acme/order-{unique}",
        task_queue=task_queue,
    )
    for join in (
        LaneEnqueueSignal(workflow_id="late", since=early + timedelta(minutes=5), ahead="going"),
        LaneEnqueueSignal(workflow_id="early", since=early, ahead="going"),
        LaneEnqueueSignal(workflow_id="newcomer"),
        LaneEnqueueSignal(workflow_id="middle", since=early + timedelta(minutes=1), ahead="going"),
    ):
        await handle.signal("enqueue", join)
    queue = await handle.query("queue", result_type=list[str])
    # The one granted before goes first; a newcomer (no first join) only after the re-joiners before it.
    assert queue == ["going", "early", "middle", "late", "newcomer"]
    await handle.terminate("test over")
