"""A back-merge PR GitHub cannot merge (#12 item 5): said so, reported on the PR once, and waited on
until a human resolves it on GitHub; the hotfix never resolves a conflict itself."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowHandle

from hotfix.models import AbortSignal, ChangesReadySignal, HotfixStatus, RecheckSignal, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from tests.workflows.test_hotfix import drive_to_deploy_approval
from workflows.hotfix import HotfixWorkflow


async def at_back_merge(h: Harness) -> tuple[WorkflowHandle, int]:
    handle = await h.start()
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await settled(h)
    await nudge(h, handle)
    status = await h.reach(handle, Step.BACK_MERGE, lambda s: s.back_merge_pull_request is not None)
    assert status.back_merge_pull_request is not None
    return handle, status.back_merge_pull_request.number


LOOKS = ("wait_review", "wait_run", "wait_checks")


async def settled(h: Harness) -> None:
    """Until the workflow is back to waiting for GitHub: its last call a look, and no call since for
    a moment. A signal that lands while the workflow schedules an activity can make the time-skipping
    server lose it (ACTIVITY_UNKNOWN, see Harness.reach) and wedge every later test on the server."""
    seen, quiet = -1, 0
    for _ in range(400):
        calls = len(h.gh.calls)
        quiet = quiet + 1 if calls == seen and h.gh.calls[-1] in LOOKS else 0
        if quiet >= 6:
            return
        seen = calls
        await asyncio.sleep(0.05)
    raise AssertionError(f"the workflow never settled: {h.gh.calls[-5:]}")


async def nudge(h: Harness, handle: WorkflowHandle) -> None:
    """A recheck (the workflow has settled since the last signal), and time for it to settle again."""
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await settled(h)


async def last_nudge(h: Harness, handle: WorkflowHandle) -> None:
    """The recheck after which the hotfix ends (nothing to settle into)."""
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())


def in_conflict(status: HotfixStatus) -> bool:
    return "conflicts" in (status.awaiting or "")


async def test_a_conflicting_back_merge_is_reported_once_and_waited_on(harness: Harness) -> None:
    h = harness
    handle, number = await at_back_merge(h)
    h.gh.conflict(number, "app.py", "VERSION")
    await nudge(h, handle)
    status = await h.reach(handle, Step.BACK_MERGE, in_conflict)
    # Who and what the hotfix waits for, in the status (and so in the UI's details).
    assert status.awaiting_who == ["dev-1"]
    assert "app.py, VERSION" in (status.message or "") and "resolve" in (status.message or "")
    pr = h.gh.prs[number]
    assert pr.labels == ["hotfix-conflict"] and "dev-1" in pr.requested
    assert h.gh.comments == [(number, "conflicts: app.py, VERSION @dev-1")]
    # Looking again, as often as anyone nudges, reports nothing twice and touches no branch.
    for _ in range(2):
        await nudge(h, handle)
    assert h.gh.calls.count("report_conflict") == 1
    assert "merge_pull_request" not in h.gh.calls[h.gh.calls.index("report_conflict") :]
    # A human resolves it on GitHub: the wait goes back to the merge, then ends with it.
    h.gh.resolve_conflict(number)
    await nudge(h, handle)
    status = await h.reach(handle, Step.BACK_MERGE, lambda s: "no longer conflicts" in (s.message or ""))
    assert status.awaiting == f"back-merge PR #{number} into develop to be merged"
    h.gh.merge_by_hand(number)
    await last_nudge(h, handle)
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    assert h.gh.calls.count("report_conflict") == 1


async def test_unknown_mergeability_is_not_a_conflict(harness: Harness) -> None:
    """GitHub's `mergeable: null` (still computing) on the first look is no reason to report."""
    h = harness
    handle, number = await at_back_merge(h)
    h.gh.prs[number].computing = 1
    await nudge(h, handle)
    await nudge(h, handle)
    h.gh.merge_by_hand(number)
    await last_nudge(h, handle)
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    assert "report_conflict" not in h.gh.calls and h.gh.prs[number].labels == []


async def test_a_refused_merge_of_a_conflicting_hotfix_pr_is_a_wait_not_a_failure(harness: Harness) -> None:
    """GitHub refuses to merge a PR with conflicts (405 "Pull Request is not mergeable"): the hotfix
    says so and waits for a human, then merges once the conflict is gone."""
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    number = status.pull_request.number
    await settled(h)
    h.gh.conflict(number, "app.py")
    h.gh.review(number, "prod-reviewer-1", "APPROVED")
    await nudge(h, handle)
    status = await h.reach(handle, Step.APPROVAL, lambda s: "not mergeable" in (s.message or ""))
    assert status.merged_sha is None
    # Someone resolves it without a new commit on the PR's head (e.g. the prod branch is reset).
    h.gh.prs[number].conflicts = []
    await nudge(h, handle)
    status = await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: s.merged_sha is not None)
    await settled(h)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over", by="dev-1"))
    await final_result(handle)
