"""LaneWorkflow: hotfixes of one repository go one at a time, and a vanished one holds nobody."""

from __future__ import annotations

from datetime import timedelta

from hotfix.models import AbortSignal, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from workflows.hotfix import HotfixWorkflow


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
