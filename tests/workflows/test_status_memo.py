"""A hotfix keeps its status in its memo (workflows/payloads.py): what `starter.py status` reads from
Temporal without a worker is the status the `status` query returns, at every wait and at the end."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle

from hotfix.memo import memo_status
from hotfix.models import ChangesReadySignal, HotfixStatus, RecheckSignal, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from workflows.hotfix import HotfixWorkflow


async def memo_and_query(handle: WorkflowHandle) -> tuple[HotfixStatus | None, HotfixStatus]:
    in_memo = await memo_status(await handle.describe())
    return in_memo, await handle.query(HotfixWorkflow.status)


async def test_the_memo_holds_the_queried_status_at_every_wait(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    in_memo, queried = await memo_and_query(handle)
    assert in_memo == queried
    assert in_memo is not None and in_memo.awaiting and "changes_ready" in in_memo.awaiting

    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await h.reach(handle, Step.APPROVAL)
    in_memo, queried = await memo_and_query(handle)
    assert in_memo == queried
    assert in_memo is not None and in_memo.pull_request == status.pull_request is not None
    assert in_memo.signals and "changes_ready, by dev-1" in in_memo.signals[-1]

    assert status.pull_request is not None
    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))
    in_memo, queried = await memo_and_query(handle)
    assert in_memo == queried
    assert in_memo is not None and in_memo.run_id == status.run_id is not None

    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.BACK_MERGE, lambda s: s.back_merge_pull_request is not None)
    assert status.back_merge_pull_request is not None
    h.gh.merge_by_hand(status.back_merge_pull_request.number)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    result = await final_result(handle)
    # The last workflow task writes the final status too, so a closed hotfix's memo is its end.
    in_memo, _ = await memo_and_query(handle)
    assert in_memo == result.status
    assert in_memo is not None and in_memo.step == Step.DONE


async def test_a_failed_hotfix_memo_says_why(harness: Harness) -> None:
    h = harness
    h.gh.preflight_failure = "environment prod admits only main"
    handle = await h.start()
    with pytest.raises(WorkflowFailureError):
        await final_result(handle)
    in_memo, queried = await memo_and_query(handle)
    assert in_memo == queried
    assert in_memo is not None and in_memo.step == Step.FAILED
    assert in_memo.reason and "prod/hotfix/*" in in_memo.reason
