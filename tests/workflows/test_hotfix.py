"""HotfixWorkflow on the time-skipping test server, with the GitHub activities replaced by doubles."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle

from hotfix import search_attributes
from hotfix.models import (
    AbortSignal,
    ChangesReadySignal,
    HotfixResult,
    HotfixStatus,
    RecheckSignal,
    RetryDeploySignal,
    Step,
)
from hotfix.outcome import final_result
from tests.workflows.conftest import Harness
from workflows.hotfix import HotfixWorkflow


async def drive_to_approval(h: Harness, handle: WorkflowHandle) -> HotfixStatus:
    """A change pushed and announced: the hotfix waits for the PR's approval (its PR is open)."""
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    return status


async def drive_to_deploy_approval(h: Harness, handle: WorkflowHandle) -> HotfixStatus:
    status = await drive_to_approval(h, handle)
    assert status.pull_request is not None
    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    return await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))


async def ship(h: Harness, handle: WorkflowHandle) -> HotfixResult:
    """The whole happy path: approvals given as soon as asked, the back-merge merged by hand."""
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    return await finish_back_merge(h, handle)


async def finish_back_merge(h: Harness, handle: WorkflowHandle) -> HotfixResult:
    status = await h.reach(handle, Step.BACK_MERGE, lambda s: s.back_merge_pull_request is not None)
    assert status.back_merge_pull_request is not None
    h.gh.merge_by_hand(status.back_merge_pull_request.number)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    return await final_result(handle)


async def test_happy_path_follows_the_runbook(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await drive_to_deploy_approval(h, handle)
    assert status.awaiting_who == ["prod-reviewer-1", "prod-reviewer-2"]
    assert status.base_sha == "main-0" and status.base_source == "deployment"
    assert status.work_branch == "hotfix/2026-11-23_login-returns-500"
    assert status.prod_branch == "prod/hotfix/2026-11-23_login-returns-500"
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    result = await finish_back_merge(h, handle)

    final = result.status
    assert final.step == Step.DONE
    assert final.deployed_sha == h.gh.deployed[0]
    assert h.gh.deployed[1] == final.prod_branch
    # The prod branch holds the hotfix commit through the merged PR, and develop got the back-merge.
    assert final.pull_request is not None and final.back_merge_pull_request is not None
    pr = h.gh.prs[final.pull_request.number]
    assert pr.merged and pr.base == final.prod_branch and pr.head == final.work_branch
    back = h.gh.prs[final.back_merge_pull_request.number]
    assert back.merged and back.base == "develop" and back.head == final.prod_branch
    assert h.gh.calls.count("dispatch_deploy") == 1
    assert [e.step for e in final.timeline] == [
        Step.PREFLIGHT,
        Step.QUEUED,
        Step.BRANCHES,
        Step.CHANGES,
        Step.TESTS,
        Step.PULL_REQUEST,
        Step.APPROVAL,
        Step.DEPLOY,
        Step.DEPLOY_APPROVAL,
        Step.BACK_MERGE,
    ]
    assert all(e.ended_at is not None for e in final.timeline)
    assert h.gh.cleanups == []
    described = await handle.describe()
    assert described.typed_search_attributes.get(search_attributes.STEP) == "done"
    assert described.typed_search_attributes.get(search_attributes.REPOSITORY) == f"acme/gaia-{h.unique}"


@pytest.mark.parametrize(
    ("step", "sleep", "deletes"),
    [
        (Step.CHANGES, timedelta(days=7, hours=1), True),
        (Step.APPROVAL, timedelta(days=3, hours=1), True),
        (Step.DEPLOY_APPROVAL, timedelta(days=1, hours=1), True),
        (Step.BACK_MERGE, timedelta(days=14, hours=1), False),
    ],
)
async def test_each_wait_expires_with_cleanup(
    harness: Harness, step: Step, sleep: timedelta, deletes: bool
) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    if step != Step.CHANGES:
        status = await drive_to_deploy_approval(h, handle) if step != Step.APPROVAL else status
        if step == Step.APPROVAL:
            h.gh.commit(status.work_branch)
            await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
            status = await h.reach(handle, Step.APPROVAL)
        if step == Step.BACK_MERGE:
            assert status.run_id is not None
            h.gh.approve_run(status.run_id)
            await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
            status = await h.reach(handle, Step.BACK_MERGE, lambda s: s.back_merge_pull_request is not None)
    await h.env.sleep(sleep)
    result: HotfixResult = await final_result(handle)
    assert result.status.step == Step.EXPIRED
    assert result.status.reason and "by the deadline" in result.status.reason
    if deletes:
        [cleanup] = h.gh.cleanups
        assert set(cleanup.branches) == {status.work_branch, status.prod_branch}
        assert status.work_branch not in h.gh.branches and status.prod_branch not in h.gh.branches
        if status.pull_request:
            assert cleanup.pull_requests == [status.pull_request.number]
            assert h.gh.prs[status.pull_request.number].state == "closed"
        if step == Step.DEPLOY_APPROVAL:
            assert cleanup.cancel_run_id == status.run_id
    else:
        assert h.gh.cleanups == []
        assert status.prod_branch in h.gh.branches
        assert "nothing was deleted" in (result.status.message or "")


async def test_reminders_are_posted_at_the_interval(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    await h.env.sleep(timedelta(hours=13))
    await h.reach(handle, Step.APPROVAL)
    reminders = [body for number, body in h.gh.comments if number == status.pull_request.number]
    assert len(reminders) == 3  # at 4 h, 8 h and 12 h
    assert all("Reminder" in body and "approving review" in body for body in reminders)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    assert (await final_result(handle)).status.step == Step.ABORTED


async def test_changes_ready_without_changes_keeps_waiting(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    status = await h.reach(handle, Step.CHANGES, lambda s: "no changes yet" in (s.message or ""))
    assert status.awaiting and "changes_ready" in status.awaiting
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    await h.reach(handle, Step.APPROVAL)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_failed_checks_then_green(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    bad = h.gh.commit(status.work_branch, "broken")
    h.gh.checks[bad] = "failure"
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    status = await h.reach(handle, Step.TESTS, lambda s: "checks failed" in (s.message or ""))
    assert bad[:12] in (status.message or "")
    h.gh.commit(status.work_branch, "fixed")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_change_request_then_approval_merges_reviewed_head(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    number = status.pull_request.number
    h.gh.review(number, "prod-reviewer-1", "CHANGES_REQUESTED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.APPROVAL, lambda s: s.awaiting_who == ["prod-reviewer-1"])
    assert "changes requested by prod-reviewer-1" in (status.message or "")
    assert not h.gh.prs[number].merged
    head = h.gh.commit(status.work_branch, "addressed")
    h.gh.review(number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.DEPLOY_APPROVAL)
    assert h.gh.prs[number].merged
    assert head in h.gh.ancestors[h.gh.branches[status.prod_branch]]
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_deploy_rejected_then_retry_deploy(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.reject_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.DEPLOY_FAILED)
    assert "retry_deploy" in (status.message or "")
    await handle.signal(HotfixWorkflow.retry_deploy, RetryDeploySignal(by="dev-1"))
    status = await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))
    assert h.gh.calls.count("rerun_failed_jobs") == 1
    assert h.gh.calls.count("dispatch_deploy") == 1
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    result = await finish_back_merge(h, handle)
    assert result.status.step == Step.DONE


@pytest.mark.parametrize(
    "where",
    [Step.CHANGES, Step.TESTS, Step.APPROVAL, Step.DEPLOY_APPROVAL, Step.DEPLOY_FAILED, Step.BACK_MERGE],
)
async def test_abort_in_every_wait(harness: Harness, where: Step) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    if where == Step.TESTS:
        h.gh.checks[h.gh.commit(status.work_branch)] = "pending"
        await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    elif where == Step.APPROVAL:
        h.gh.commit(status.work_branch)
        await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    elif where != Step.CHANGES:
        status = await drive_to_deploy_approval(h, handle)
        assert status.run_id is not None
        if where == Step.DEPLOY_FAILED:
            h.gh.reject_run(status.run_id)
        elif where == Step.BACK_MERGE:
            h.gh.approve_run(status.run_id)
        await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, where)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix", by="dev-1"))
    result: HotfixResult = await final_result(handle)
    assert result.status.step == Step.ABORTED
    assert result.status.reason == "wrong fix"
    if where == Step.BACK_MERGE:
        assert h.gh.cleanups == [], "after a deployment nothing is deleted"
    else:
        [cleanup] = h.gh.cleanups
        assert set(cleanup.branches) == {status.work_branch, status.prod_branch}
        assert "wrong fix" in cleanup.comment


async def test_cancellation_behaves_like_abort(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    status = await h.reach(handle, Step.APPROVAL)
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await final_result(handle)
    [cleanup] = h.gh.cleanups
    assert status.pull_request is not None
    assert cleanup.pull_requests == [status.pull_request.number]
    final = await handle.query(HotfixWorkflow.status)
    assert final.step == Step.ABORTED and final.reason == "workflow cancelled"


async def test_second_hotfix_waits_then_bases_on_the_first(harness: Harness) -> None:
    h = harness
    first = await h.start("first fix")
    # Started together, either could reach the lane first; the runbook case is one already in flight.
    await h.reach(first, Step.CHANGES)
    second = await h.start("second fix")
    queued = await h.reach(second, Step.QUEUED, lambda s: s.queued_behind is not None)
    assert queued.queued_behind == f"hotfix-test/{h.unique}/first fix"
    assert queued.base_sha is None
    status = await drive_to_deploy_approval(h, first)
    assert status.run_id is not None
    # Still queued while the first waits for its deployment.
    assert (await second.query(HotfixWorkflow.status)).step == Step.QUEUED
    h.gh.approve_run(status.run_id)
    await first.signal(HotfixWorkflow.recheck, RecheckSignal())
    second_status = await h.reach(second, Step.CHANGES)
    first_status = await h.reach(first, Step.BACK_MERGE)
    assert first_status.deployed_sha is not None
    assert second_status.base_sha == first_status.deployed_sha
    assert second_status.base_ref == first_status.prod_branch
    for handle in (first, second):
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
        await final_result(handle)


async def test_drift_guard_stops_before_deploying(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    status = await h.reach(handle, Step.APPROVAL)
    # Meanwhile someone deploys a newer main by hand.
    h.gh.commit("main", "urgent")
    h.gh.deploy_elsewhere("main")
    assert status.pull_request is not None
    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.DEPLOY, lambda s: "drift" in (s.message or ""))
    assert "dispatch_deploy" not in h.gh.calls
    # A human merges production's commit into the prod branch, then rechecks.
    assert status.pull_request is not None
    pr = h.gh.prs[status.pull_request.number]
    h.gh.ancestors[h.gh.branches[status.prod_branch]] |= h.gh.ancestors[h.gh.branches["main"]]
    assert pr.merged
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.DEPLOY_APPROVAL)
    assert h.gh.calls.count("dispatch_deploy") == 1
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_cherry_pick_conflict_waits_for_a_human(harness: Harness) -> None:
    h = harness
    h.gh.cherry_conflict = True
    handle = await h.start(cherry_picks=["abc123def4567890"])
    status = await h.reach(handle, Step.CHANGES, lambda s: "conflicts" in (s.message or ""))
    assert "app/login.py" in (status.message or "")
    h.gh.commit(status.work_branch, "resolved")
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    await h.reach(handle, Step.APPROVAL)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_clean_cherry_picks_are_applied(harness: Harness) -> None:
    h = harness
    handle = await h.start(cherry_picks=["aaa111", "bbb222"])
    status = await h.reach(handle, Step.CHANGES, lambda s: "cherry-picked 2" in (s.message or ""))
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal())
    await h.reach(handle, Step.APPROVAL)
    assert "pick-aaa111" in h.gh.branches[status.work_branch] or any(
        "pick-aaa111" in sha for sha in h.gh.ancestors[h.gh.branches[status.work_branch]]
    )
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_preflight_failure_has_no_side_effects(harness: Harness) -> None:
    h = harness
    h.gh.preflight_failure = "environment prod admits only main"
    handle = await h.start()
    with pytest.raises(WorkflowFailureError) as failure:
        await final_result(handle)
    assert "deployment branch policy" in str(failure.value.cause)
    assert h.gh.calls == ["preflight"]
    status = await handle.query(HotfixWorkflow.status)
    assert status.step == Step.FAILED
    assert status.reason and "prod/hotfix/*" in status.reason


async def test_abort_while_an_action_is_still_retrying(harness: Harness) -> None:
    h = harness
    h.gh.down = True
    handle = await h.start()
    for _ in range(200):
        if h.gh.calls.count("preflight") >= 2:
            break
        await asyncio.sleep(0.025)
    assert h.gh.calls.count("preflight") >= 2, "preflight was not retried"
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="GitHub is down, will do it by hand"))
    result = await final_result(handle)
    assert result.status.step == Step.ABORTED
    assert result.status.reason == "GitHub is down, will do it by hand"
    assert h.gh.cleanups == [], "nothing was made, so nothing is cleaned up"


async def test_abort_after_a_failed_deployment_deletes_nothing(harness: Harness) -> None:
    h = harness
    handle = await h.start()
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id, conclusion="failure")  # approved, then the deploy job failed
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.DEPLOY_FAILED)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="roll forward instead"))
    result = await final_result(handle)
    assert result.status.step == Step.ABORTED
    assert h.gh.cleanups == [], "a deploy that ran may have changed production: keep its branches"
    assert status.prod_branch in h.gh.branches
    assert "nothing was deleted" in (result.status.message or "")
