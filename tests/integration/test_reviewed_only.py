"""Never ship what nobody reviewed (#8), each case played as the person who would break it.

The real activities against the sandbox GitHub on the dev server; people act through GitHub's API
with their own tokens, never through the workflow's activities.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, ChangesReadySignal, HotfixStatus, RecheckSignal, Step
from hotfix.outcome import final_result
from local.humans import DEV, FIX_CONTENT, Humans, wait_for
from sandbox.seed import ADMIN_TOKEN, OTHER_CI_TOKEN
from tests.integration.conftest import DISPATCH, REPO, hotfix_worker, seeded_sandbox, start, writes
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration

SECOND_FIX = FIX_CONTENT + "\n# and one more line, pushed after the reviewer looked\n"
DEPLOYMENTS = r"/repos/acme/gaia-gateway/deployments"


async def to_approval(handle: WorkflowHandle, humans: Humans) -> tuple[HotfixStatus, str]:
    """The developer pushes the fix and says so; returns the status at PR approval and the fix's sha."""
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    sha = await asyncio.to_thread(humans.push_change, status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by=DEV[0]))
    status = await wait_for(
        handle,
        lambda s: s.step == Step.APPROVAL and s.pull_request is not None and s.tested_sha == sha,
        "PR approval",
    )
    return status, sha


# (handle, humans, status, fix sha, PR number) of a hotfix at PR approval.
Scene = tuple[WorkflowHandle, Humans, HotfixStatus, str, int]


async def at_approval(
    env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str, **settings: Any
) -> Scene:
    """A hotfix started and driven to PR approval: (handle, humans, status, fix sha, PR number)."""
    handle = await start(env.client, task_queue, unique, **settings)
    humans = Humans(sandbox.api_url, REPO)
    status, sha = await to_approval(handle, humans)
    assert status.pull_request is not None
    return handle, humans, status, sha, status.pull_request.number


async def at_back_merge(
    env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str
) -> tuple[WorkflowHandle, Humans, HotfixStatus]:
    """A hotfix approved, deployed and waiting for its back-merge PR: (handle, humans, status)."""
    handle, humans, status, sha, number = await at_approval(env, sandbox, task_queue, unique)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    status = await wait_for(
        handle, lambda s: s.step == Step.BACK_MERGE and s.back_merge_pull_request is not None, "back-merge"
    )
    return handle, humans, status


def pull(sandbox: Any, number: int) -> Any:
    return sandbox.github().get_repo(REPO).get_pull(number)


async def stop(handle: WorkflowHandle) -> HotfixStatus:
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    return (await final_result(handle)).status


async def test_a_push_after_the_approval_is_tested_and_approved_before_it_is_merged(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, first, number = scene
    # The reviewer looked at `first`; meanwhile the developer pushed again; the approval is of `first`.
    second = await asyncio.to_thread(humans.push_change, status.work_branch, content=SECOND_FIX)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=first)
    status = await wait_for(
        handle,
        lambda s: s.step == Step.APPROVAL and s.tested_sha == second and bool(s.ignored_approvals),
        "the new head tested, the old approval not counted",
    )
    await asyncio.sleep(1.0)  # several polls: it must still not merge
    assert not pull(sandbox, number).merged
    assert status.ignored_approvals == [f"prod-reviewer-1: approved {first[:12]}, not the head {second[:12]}"]
    comments = [c.body for c in pull(sandbox, number).get_issue_comments()]
    assert any("New commits on" in body and second[:12] in body for body in comments)
    # An approval of what is there now is what merges it, at exactly that commit.
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=second)
    status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    merged = pull(sandbox, number)
    assert merged.merged and merged.head.sha == second
    assert status.merged_sha == merged.merge_commit_sha
    puts = [
        r
        for r in writes(sandbox, "PUT", rf"/repos/acme/gaia-gateway/pulls/{number}/merge")
        if r["status"] == 200
    ]
    assert len(puts) == 1
    await stop(handle)


async def test_the_fixs_author_cannot_approve_it(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha, token=DEV[1])
    status = await wait_for(handle, lambda s: bool(s.ignored_approvals), "the author's approval seen")
    assert status.ignored_approvals == ["dev-1: wrote or committed a commit of this hotfix"]
    await asyncio.sleep(1.0)
    assert not pull(sandbox, number).merged and status.step == Step.APPROVAL
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    assert pull(sandbox, number).merged
    await stop(handle)


async def test_without_independent_review_the_authors_approval_counts_and_is_flagged(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique, require_independent_review=False)
    handle, humans, status, sha, number = scene
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha, token=DEV[1])
    status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    assert "approved by dev-1, who wrote or committed a commit of this hotfix" in status.warnings
    await stop(handle)


async def test_a_retargeted_pull_request_is_not_merged(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    await asyncio.to_thread(humans.edit_pull_request, number, base="main")
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    status = await wait_for(handle, lambda s: "now targets main" in (s.message or ""), "the retarget seen")
    await asyncio.sleep(1.0)
    assert not pull(sandbox, number).merged
    await asyncio.to_thread(humans.edit_pull_request, number, base=status.prod_branch)
    status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    assert pull(sandbox, number).base.ref == status.prod_branch
    await stop(handle)


async def test_a_pull_request_closed_by_hand_waits_to_be_reopened(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    await asyncio.to_thread(humans.edit_pull_request, number, state="closed")
    status = await wait_for(handle, lambda s: "was closed on GitHub" in (s.message or ""), "the close seen")
    await asyncio.sleep(1.0)
    assert status.step == Step.APPROVAL
    branches = {b.name for b in sandbox.github().get_repo(REPO).get_branches()}
    assert status.work_branch in branches and status.prod_branch in branches
    await asyncio.to_thread(humans.edit_pull_request, number, state="open")
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    await wait_for(handle, lambda s: s.merged_sha is not None, "the merge after reopening")
    await stop(handle)


async def test_a_new_pull_request_from_the_same_branch_takes_over_from_a_closed_one(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    await asyncio.to_thread(humans.edit_pull_request, number, state="closed")
    await wait_for(handle, lambda s: "was closed on GitHub" in (s.message or ""), "the close seen")
    successor = await asyncio.to_thread(humans.open_pull_request, status.work_branch, status.prod_branch)
    status = await wait_for(
        handle,
        lambda s: s.pull_request is not None and s.pull_request.number == successor,
        "the new PR adopted",
    )
    assert f"#{number}" in (status.message or "") and status.step == Step.APPROVAL
    # An approval of the closed PR's head does not carry over: the new PR is what gets merged.
    await asyncio.to_thread(humans.approve_pull_request, successor, commit_id=sha)
    status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge of the new PR")
    assert pull(sandbox, successor).merged and not pull(sandbox, number).merged
    await stop(handle)


async def test_an_abort_keeps_the_developers_commits(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    humans = Humans(sandbox.api_url, REPO)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    sha = await asyncio.to_thread(humans.push_change, status.work_branch)
    final = await stop(handle)
    kept = f"hotfix-kept/{final.work_branch}-{sha[:7]}"
    assert final.step == Step.ABORTED and final.kept_branches == [kept]
    repo = sandbox.github().get_repo(REPO)
    names = {b.name for b in repo.get_branches()}
    assert kept in names and repo.get_branch(kept).commit.sha == sha
    # What held nothing of anyone's is withdrawn as before.
    assert final.work_branch not in names and final.prod_branch not in names


async def test_a_manual_run_dispatched_just_before_is_not_adopted(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    # The drift guard's look at the deployments is slow this once: time for a person to press the button.
    sandbox.add_fault("GET", DEPLOYMENTS, delay=2.0, count=1)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    await asyncio.to_thread(humans.dispatch_by_hand, status.prod_branch)
    # GHES before 3.21: the dispatch answers without the run, so the hotfix must find its run itself.
    sandbox.add_fault(
        "POST",
        DISPATCH,
        status=400,
        body={"message": 'Invalid request.\n\n"return_run_details" is not a permitted key.'},
        count=1,
    )
    status = await wait_for(handle, lambda s: s.run_id is not None, "the hotfix's run")
    runs = list(
        sandbox.github().get_repo(REPO).get_workflow("deploy.yml").get_runs(branch=status.prod_branch)
    )
    by_actor = {run.triggering_actor.login: run.id for run in runs}
    assert set(by_actor) == {"dev-1", "hotfix-bot"}
    assert status.run_id == by_actor["hotfix-bot"]
    await stop(handle)


async def test_a_push_to_the_prod_branch_after_the_merge_is_not_deployed(
    local_env: WorkflowEnvironment, task_queue: str, unique: str, tmp_path: Path
) -> None:
    def unprotected(seed: dict[str, Any]) -> None:
        seed["repos"][0]["protection"] = []

    with seeded_sandbox(tmp_path, unprotected) as sandbox:
        async with hotfix_worker(local_env, sandbox, task_queue):
            scene = await at_approval(local_env, sandbox, task_queue, unique)
            handle, humans, status, sha, number = scene
            sandbox.add_fault("GET", DEPLOYMENTS, delay=2.0, count=1)
            await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
            status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
            # Someone pushes to the prod branch by hand before the dispatch: that commit was never reviewed.
            await asyncio.to_thread(humans.push_change, status.prod_branch, content=SECOND_FIX)
            status = await wait_for(
                handle, lambda s: "moved after the merge" in (s.message or ""), "the push to prod seen"
            )
            await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
            await asyncio.sleep(1.0)
            assert not [r for r in writes(sandbox, "POST", DISPATCH) if r["status"] in (200, 204)]
            final = await stop(handle)
            assert final.run_id is None and final.deployed_sha is None


async def test_an_admins_push_past_protection_after_the_merge_is_not_deployed(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # Classic protection binds admins only with enforce_admins, which is off by default on GitHub.
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    sandbox.add_fault("GET", DEPLOYMENTS, delay=2.0, count=1)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    status = await wait_for(handle, lambda s: s.merged_sha is not None, "the merge")
    await asyncio.to_thread(humans.push_change, status.prod_branch, content=SECOND_FIX, token=ADMIN_TOKEN)
    status = await wait_for(
        handle, lambda s: "moved after the merge" in (s.message or ""), "the admin's push seen"
    )
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await asyncio.sleep(1.0)
    assert not [r for r in writes(sandbox, "POST", DISPATCH) if r["status"] in (200, 204)]
    final = await stop(handle)
    assert final.run_id is None and final.deployed_sha is None


async def test_a_retargeted_back_merge_is_not_done_until_the_default_branch_has_the_fix(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle, humans, status = await at_back_merge(local_env, sandbox, task_queue, unique)
    assert status.back_merge_pull_request is not None and status.default_branch == "develop"
    number = status.back_merge_pull_request.number
    # Someone points the back-merge at main and merges it there: develop still lacks the fix.
    await asyncio.to_thread(humans.edit_pull_request, number, base="main")
    await asyncio.to_thread(humans.merge_pull_request, number)
    status = await wait_for(handle, lambda s: "does not contain" in (s.message or ""), "develop checked")
    await asyncio.sleep(1.0)
    assert status.step == Step.BACK_MERGE
    # Merged into develop by hand, and said so: now it is done.
    await asyncio.to_thread(humans.merge_branch, "develop", status.prod_branch)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    develop = sandbox.github().get_repo(REPO).compare(result.status.deployed_sha, "develop")
    assert develop.status in ("ahead", "identical")


async def test_a_back_merge_opened_again_by_hand_takes_over_from_the_closed_one(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle, humans, status = await at_back_merge(local_env, sandbox, task_queue, unique)
    assert status.back_merge_pull_request is not None
    closed = status.back_merge_pull_request.number
    await asyncio.to_thread(humans.edit_pull_request, closed, state="closed")
    await wait_for(handle, lambda s: "was closed without merging" in (s.message or ""), "the close seen")
    again = await asyncio.to_thread(humans.open_pull_request, status.prod_branch, "develop", "Back-merge")
    await wait_for(
        handle,
        lambda s: s.back_merge_pull_request is not None and s.back_merge_pull_request.number == again,
        "the new back-merge PR adopted",
    )
    await asyncio.to_thread(humans.merge_pull_request, again)
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    assert f"#{again}" in (result.status.message or "") and not pull(sandbox, closed).merged


async def test_a_late_required_check_is_waited_for_and_an_optional_failure_only_warns(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # ci/test is required from GitHub Actions and starts late; lint fails at once but nobody requires it.
    sandbox.configure_repo(
        REPO,
        protection=[
            {
                "pattern": "prod/hotfix/*",
                "required_pull_request": True,
                "required_approving_review_count": 1,
                "required_status_checks": {
                    "strict": False,
                    "checks": [{"context": "ci/test", "app_id": 15368}],
                },
            }
        ],
        ci={"checks": [{"name": "ci/test", "start_after": 2.5}, {"name": "lint", "conclusion": "failure"}]},
    )
    handle = await start(local_env.client, task_queue, unique)
    humans = Humans(sandbox.api_url, REPO)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    sha = await asyncio.to_thread(humans.push_change, status.work_branch)
    # Another app reports a green ci/test at once: the wrong reporter does not satisfy the rule.
    other = sandbox.github(OTHER_CI_TOKEN).get_repo(REPO)
    await asyncio.to_thread(other.create_check_run, "ci/test", sha, status="completed", conclusion="success")
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by=DEV[0]))
    await asyncio.sleep(1.5)
    early = await handle.query(HotfixWorkflow.status)
    assert early.step == Step.TESTS and early.required_checks == ["ci/test"]
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.tested_sha == sha, "PR approval")
    assert "check lint failed (not required)" in status.warnings
    await stop(handle)


async def test_a_deployment_approved_by_the_fixs_author_is_flagged(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # The developer is among the environment's reviewers; GitHub lets them approve their own fix's deploy.
    sandbox.configure_repo(
        REPO, environments=[{"name": "prod", "reviewers": ["prod-reviewer-1", "prod-reviewer-2", "dev-1"]}]
    )
    scene = await at_approval(local_env, sandbox, task_queue, unique)
    handle, humans, status, sha, number = scene
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id, token=DEV[1])
    status = await wait_for(handle, lambda s: s.step == Step.BACK_MERGE, "the deploy")
    assert any(w.startswith("deployment approved by dev-1, who wrote") for w in status.warnings), (
        status.warnings
    )
    await stop(handle)
