"""LaneWorkflow: hotfixes of one repository go one at a time, and a vanished one holds nobody."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.testing import ActivityEnvironment, WorkflowEnvironment
from temporalio.worker import Worker

from activities.lane import LaneActivities
from hotfix.models import AbortSignal, MidDeployInput, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from tests.workflows.fake_github import FakeActivities, FakeGitHub
from tests.workflows.test_hotfix import drive_to_deploy_approval
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow


async def test_a_terminated_hotfix_does_not_block_the_lane(harness: Harness) -> None:
    h = harness
    first = await h.start("first fix")
    await h.reach(first, Step.CHANGES)
    second = await h.start("second fix")
    await h.reach(second, Step.QUEUED, lambda s: s.queued_behind == first.id)
    # Terminated from outside, the first never sends `release`.
    await first.terminate("operator ended it")
    assert (await second.query(HotfixWorkflow.status)).step == Step.QUEUED
    await h.env.sleep(timedelta(hours=1, minutes=5))
    status = await h.reach(second, Step.CHANGES)
    assert status.queued_behind is None
    await second.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(second)


async def test_hotfixes_of_other_repositories_do_not_queue(harness: Harness) -> None:
    h = harness
    first = await h.start("first fix", repository=f"acme/one-{h.unique}")
    other = await h.start("other fix", repository=f"acme/two-{h.unique}")
    for handle in (first, other):
        status = await h.reach(handle, Step.CHANGES)
        assert status.queued_behind is None
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
        await final_result(handle)


async def test_a_hotfix_joining_behind_a_terminated_head_goes_at_once(harness: Harness) -> None:
    h = harness
    first = await h.start("first fix")
    await h.reach(first, Step.CHANGES)
    # Terminated from outside before anyone queued: the lane still holds it at its head.
    await first.terminate("operator ended it")
    second = await h.start("second fix")
    # The lane looks at its head when the second joins: no hour-long probe to wait for.
    status = await h.reach(second, Step.CHANGES)
    assert status.queued_behind is None
    await second.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(second)


async def test_a_rollback_learns_of_a_hotfix_mid_deploy_with_no_worker_to_ask(
    ts_env: WorkflowEnvironment, task_queue: str, unique: str
) -> None:
    # `mid_deploy` (a rollback's first check) asks each queued hotfix's `status` query, which waits for
    # a worker of the hotfix: with its workers down it did not come back, and the rollback meant to
    # help waited with it. Now the memo (answered by Temporal itself) answers when no worker does.
    gh = FakeGitHub()
    lanes = f"{task_queue}-lanes"  # the lane's worker stays up throughout
    lane = LaneActivities(ts_env.client, lanes)
    h = Harness(ts_env, gh, task_queue, unique)
    async with Worker(
        ts_env.client, task_queue=lanes, workflows=[LaneWorkflow], activities=[lane.hotfix_alive]
    ):
        try:
            async with Worker(
                ts_env.client,
                task_queue=task_queue,
                workflows=[HotfixWorkflow],
                activities=[*FakeActivities(gh).all(), lane.enqueue, lane.watch_lane],
            ):
                hotfix = await h.start()
                merged = await drive_to_deploy_approval(h, hotfix)
                assert merged.merged_sha is not None
            # The hotfix's worker is gone.
            asked = MidDeployInput(repository=f"acme/gaia-{unique}", workflow_id=f"rollback-test/{unique}")
            busy = await asyncio.wait_for(ActivityEnvironment().run(lane.mid_deploy, asked), timeout=20)
            assert (busy.workflow_id, busy.step) == (hotfix.id, Step.DEPLOY_APPROVAL.value)
        finally:
            await h.terminate_leftovers()
