"""A write GitHub made whose answer was lost is not made twice (#9 items 5 and 9).

Every write of a hotfix that ships, and every write of one that is withdrawn, is answered once with a
502 or a dropped connection *after* the sandbox applied it (GitHub did it; the worker cannot know).
The hotfix retries, and each effect exists exactly once. The real activities on the dev server.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, ChangesReadySignal, Step
from hotfix.outcome import final_result
from local.humans import DEV, Humans, wait_for
from tests.integration.conftest import DISPATCH, REPO, start, writes
from tests.integration.test_reviewed_only import to_approval
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration

R = r"/repos/acme/gaia-gateway"
SHIPPING_WRITES = {
    "create a branch": ("POST", R + r"/git/refs"),
    "cherry-pick: a commit": ("POST", R + r"/git/commits"),
    "cherry-pick: merge onto the scratch branch": ("POST", R + r"/merges"),
    "cherry-pick: move the branch": ("PATCH", R + r"/git/refs/heads/.+"),
    "cherry-pick: delete the scratch branch": ("DELETE", R + r"/git/refs/heads/.+"),
    "open a PR": ("POST", R + r"/pulls"),
    "ask for reviewers": ("POST", R + r"/pulls/\d+/requested_reviewers"),
    "comment on a PR": ("POST", R + r"/issues/\d+/comments"),
    "merge": ("PUT", R + r"/pulls/\d+/merge"),
    "dispatch": ("POST", DISPATCH),
}
WITHDRAWING_WRITES = {
    "keep the developer's commits": ("POST", R + r"/git/refs"),
    "delete a branch": ("DELETE", R + r"/git/refs/heads/.+"),
    "comment on a PR": ("POST", R + r"/issues/\d+/comments"),
    "close a PR": ("PATCH", R + r"/pulls/\d+"),
}
LOST: dict[str, dict[str, Any]] = {
    "502 after applying": {"status": 502},
    "dropped after applying": {"drop": True},
}


def lose_each_answer_once(sandbox: Any, kind: dict[str, Any], writes_: dict[str, tuple[str, str]]) -> None:
    for method, path in writes_.values():
        sandbox.add_fault(method, path, applied=True, count=1, **kind)


def every_fault_was_hit(sandbox: Any) -> None:
    left = sandbox._http.get("/_sandbox/faults").json()
    assert left == [], f"writes the scenario never made, so never tested: {left}"


def no_comment_twice(sandbox: Any, *numbers: int) -> None:
    requester = sandbox.github().requester
    for number in numbers:
        _, comments = requester.requestJsonAndCheck("GET", f"{R}/issues/{number}/comments")
        twice = [body[:60] for body, n in Counter(c["body"] for c in comments).items() if n > 1]
        assert not twice, f"posted twice on #{number}: {twice}"


async def ship(handle: WorkflowHandle, humans: Humans, sandbox: Any) -> Any:
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES and bool(s.message), "cherry-picked")
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by=DEV[0]))
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")
    assert status.pull_request is not None
    number = status.pull_request.number
    # The cherry-picked commit is dev-1's: their approval does not count, and a comment says so.
    await asyncio.to_thread(humans.approve_pull_request, number, token=DEV[1])
    await wait_for(handle, lambda s: bool(s.ignored_approvals), "the author's approval ignored")
    await asyncio.to_thread(humans.approve_pull_request, number)
    status = await wait_for(handle, lambda s: s.run_id is not None and s.step == Step.DEPLOY_APPROVAL, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    status = await wait_for(handle, lambda s: s.back_merge_pull_request is not None, "back-merge")
    assert status.back_merge_pull_request is not None
    await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
    return await wait_for(handle, lambda s: s.step == Step.DONE, "done", within=90)


# Both cuts wait out GitHub's request limit at every write (about 25 s): make test-all and CI run them.
@pytest.mark.parametrize(
    "lost",
    [pytest.param(kind, marks=pytest.mark.slow) for kind in ("502 after applying", "dropped after applying")],
)
async def test_every_write_of_a_shipping_hotfix_happens_once_when_its_answer_is_lost(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    worker: None,
    task_queue: str,
    unique: str,
    lost: str,
) -> None:
    repo = sandbox.github().get_repo(REPO)
    release_fix = repo.get_branch("develop").commit.sha
    lose_each_answer_once(sandbox, LOST[lost], SHIPPING_WRITES)
    handle = await start(
        local_env.client, task_queue, unique, cherry_picks=[release_fix], pr_reviewers=["prod-reviewer-1"]
    )
    final = await ship(handle, Humans(sandbox.api_url, REPO), sandbox)
    every_fault_was_hit(sandbox)
    pulls = list(repo.get_pulls(state="all"))
    assert Counter((p.head.ref, p.base.ref) for p in pulls) == {
        (final.work_branch, final.prod_branch): 1,
        (final.prod_branch, "develop"): 1,
    }
    assert sorted(p.merged_by.login for p in pulls if p.merged) == sorted(["hotfix-bot", DEV[0]])
    runs = list(repo.get_workflow("deploy.yml").get_runs(branch=final.prod_branch))
    assert len(runs) == 1 and final.run_id == runs[0].id
    assert writes(sandbox, "POST", DISPATCH)[0].get("applied_status") == 200  # applied, answer lost
    picked = repo.compare(final.base_sha, final.work_branch)
    assert picked.ahead_by == 1, "the cherry-pick was applied twice"
    no_comment_twice(sandbox, *(p.number for p in pulls))


@pytest.mark.slow  # make test keeps the late dispatch
async def test_every_write_of_a_withdrawn_hotfix_happens_once_when_its_answer_is_lost(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    humans = Humans(sandbox.api_url, REPO)
    handle = await start(local_env.client, task_queue, unique)
    status, sha = await to_approval(handle, humans)
    assert status.pull_request is not None
    lose_each_answer_once(sandbox, LOST["502 after applying"], WITHDRAWING_WRITES)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix"))
    final = (await final_result(handle)).status
    assert final.step == Step.ABORTED
    every_fault_was_hit(sandbox)
    repo = sandbox.github().get_repo(REPO)
    names = {b.name for b in repo.get_branches()}
    assert final.kept_branches == [f"hotfix-kept/{final.work_branch}-{sha[:7]}"]
    assert final.kept_branches[0] in names
    assert final.work_branch not in names and final.prod_branch not in names
    assert repo.get_pull(status.pull_request.number).state == "closed"
    no_comment_twice(sandbox, status.pull_request.number)


async def test_a_second_run_made_by_a_late_answer_is_cancelled_and_named(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # The worst case of a late answer: the dispatch was applied, its answer lost, and GitHub lists
    # the run it made only after the retry stopped looking, so the retry dispatches again.
    humans = Humans(sandbox.api_url, REPO)
    handle = await start(local_env.client, task_queue, unique)
    status, _ = await to_approval(handle, humans)
    assert status.pull_request is not None
    not_listed_yet = {"total_count": 0, "workflow_runs": []}
    sandbox.add_fault("GET", R + r"/actions/workflows/[^/]+/runs", status=200, body=not_listed_yet, count=4)
    sandbox.add_fault("POST", DISPATCH, applied=True, status=502, count=1)
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    status = await wait_for(handle, lambda s: any("cancelled deploy run" in w for w in s.warnings), "strays")
    repo = sandbox.github().get_repo(REPO)

    def listed() -> dict[int, Any]:
        return {run.id: run for run in repo.get_workflow("deploy.yml").get_runs(branch=status.prod_branch)}

    runs = listed()
    for _ in range(50):  # GitHub lists a new run a moment after it exists (the sandbox's latency)
        if len(runs) == 2:
            break
        await asyncio.sleep(0.1)
        runs = listed()
    assert len(runs) == 2 and status.run_id in runs
    (stray,) = set(runs) - {status.run_id}
    assert any(f"cancelled deploy run {stray}:" in w for w in status.warnings)
    assert runs[stray].status == "completed" and runs[stray].conclusion == "cancelled"
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    status = await wait_for(handle, lambda s: s.step == Step.BACK_MERGE, "deployed by its own run")
    assert status.deployed_sha == status.merged_sha
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)
