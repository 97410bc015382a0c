"""RollbackWorkflow on the time-skipping server: what ran before goes back through the environment's
reviewers, in the repository's lane, and a rollback that cannot be right is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle

from hotfix import naming
from hotfix.models import AbortSignal, HotfixResult, HotfixStatus, RecheckSignal, Step
from hotfix.outcome import final_result
from tests.workflows.conftest import DAY, SETTINGS, Harness
from tests.workflows.test_hotfix import drive_to_deploy_approval, finish_back_merge
from workflows.hotfix import HotfixWorkflow

REASON = "login fix made it worse"


async def ship_a_hotfix(h: Harness, description: str = "login returns 500") -> HotfixStatus:
    handle = await h.start(description)
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    return (await finish_back_merge(h, handle)).status


async def refusal(handle: WorkflowHandle) -> str:
    with pytest.raises(WorkflowFailureError) as failed:
        await final_result(handle)
    status = await handle.query(HotfixWorkflow.status)
    assert status.step == Step.FAILED and status.run_id is None
    return str(failed.value.cause)


async def test_a_rollback_redeploys_what_ran_before_and_the_next_hotfix_bases_on_it(h: Harness) -> None:
    hotfix = await ship_a_hotfix(h)
    rollback = await h.start_rollback(REASON)
    status = await h.reach(rollback, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))
    assert status.rollback is not None
    assert (status.rollback.current_sha, status.rollback.current_ref) == (
        hotfix.deployed_sha,
        hotfix.prod_branch,
    )
    assert (status.rollback.deployment, status.rollback.sha, status.rollback.ref) == (1, "main-0", "main")
    # main still points at what ran then: the rollback deploys it as it is, no branch made.
    assert status.prod_branch == "main" and not any(c.startswith("create_branch") for c in h.gh.calls[-8:])
    assert status.awaiting_who == ["prod-reviewer-1", "prod-reviewer-2"]
    assert status.run_id is not None and h.gh.runs[status.run_id].sha == "main-0"
    h.gh.approve_run(status.run_id)
    await rollback.signal(HotfixWorkflow.recheck, RecheckSignal())
    result: HotfixResult = await final_result(rollback)
    assert result.status.step == Step.DONE and result.status.deployed_sha == "main-0"
    assert h.gh.deployed == ("main-0", "main")
    assert result.record is not None and result.record.run_id == status.run_id
    assert [e.step for e in result.status.timeline] == [
        Step.PREFLIGHT,
        Step.QUEUED,
        Step.BRANCHES,
        Step.DEPLOY,
        Step.DEPLOY_APPROVAL,
    ]
    # The lane is free again, and the next hotfix starts from what the rollback deployed.
    after = await h.start("second try at the login fix")
    started = await h.reach(after, Step.CHANGES)
    assert (started.base_sha, started.base_ref) == ("main-0", "main")
    await after.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(after)


async def test_a_rollback_whose_ref_moved_on_deploys_a_branch_made_at_its_commit(h: Harness) -> None:
    await ship_a_hotfix(h)
    h.gh.commit("main", "later work")
    rollback = await h.start_rollback(REASON)
    status = await h.reach(rollback, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))
    branch = naming.rollback_branch(SETTINGS.prod_branch_prefix, DAY, naming.slugify(REASON))
    assert status.prod_branch == branch and h.gh.branches[branch] == "main-0"
    assert status.run_id is not None and h.gh.runs[status.run_id].sha == "main-0"
    assert status.message and "moved on" in status.message


async def test_a_rollback_nobody_approves_expires_withdraws_its_branch_and_frees_the_lane(h: Harness) -> None:
    await ship_a_hotfix(h)
    h.gh.commit("main", "later work")
    rollback = await h.start_rollback(REASON)
    status = await h.reach(rollback, Step.DEPLOY_APPROVAL, lambda s: bool(s.awaiting_who))
    await h.env.sleep(SETTINGS.deploy_approval_timeout + timedelta(hours=1))
    result: HotfixResult = await final_result(rollback)
    assert result.status.step == Step.EXPIRED
    [cleanup] = h.gh.cleanups
    assert cleanup.branches == [status.prod_branch] and cleanup.cancel_run_id == status.run_id
    assert status.prod_branch not in h.gh.branches
    after = await h.start("second try at the login fix")
    await h.reach(after, Step.CHANGES)
    await after.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(after)


async def test_with_nothing_deployed_before_there_is_nothing_to_roll_back_to(h: Harness) -> None:
    rollback = await h.start_rollback(REASON)
    assert "rollback refused: nothing to roll back to" in await refusal(rollback)
    assert "dispatch_deploy" not in h.gh.calls


async def test_a_rollback_is_refused_while_a_hotfix_has_merged_and_not_deployed(h: Harness) -> None:
    h.gh.deploy_elsewhere("develop")  # something earlier to go back to
    hotfix = await h.start()
    merged = await drive_to_deploy_approval(h, hotfix)
    assert merged.merged_sha is not None
    rollback = await h.start_rollback(REASON)
    why = await refusal(rollback)
    assert f"hotfix {hotfix.id} has merged and is not deployed yet (at deploy_approval)" in why
    assert h.gh.calls.count("dispatch_deploy") == 1  # the hotfix's own
    await hotfix.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(hotfix)


async def test_a_rollback_queued_behind_a_hotfix_is_refused_if_production_changed_meanwhile(
    h: Harness,
) -> None:
    h.gh.deploy_elsewhere("develop")
    hotfix = await h.start()
    await h.reach(hotfix, Step.CHANGES)
    rollback = await h.start_rollback(REASON)
    await h.reach(rollback, Step.QUEUED, lambda s: s.queued_behind == hotfix.id)
    # The hotfix ahead ships: what the rollback meant to undo is no longer what runs.
    status = await drive_to_deploy_approval(h, hotfix)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await hotfix.signal(HotfixWorkflow.recheck, RecheckSignal())
    why = await refusal(rollback)
    assert "changed while the rollback waited" in why and "start a new rollback" in why
    assert h.gh.calls.count("dispatch_deploy") == 1
    await finish_back_merge(h, hotfix)


@pytest.fixture
def h(harness: Harness) -> Harness:
    return harness
