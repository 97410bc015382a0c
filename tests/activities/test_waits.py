"""The polling activities against the sandbox: they return on change and heartbeat meanwhile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from github import InputGitTreeElement
from temporalio.exceptions import ApplicationError

from activities.waits import NOT_YET, GitHubWaits
from hotfix.models import (
    CherryPickInput,
    CreateBranchInput,
    DispatchInput,
    FindBaseInput,
    OpenPullRequestInput,
    ReviewState,
    WaitChecksInput,
    WaitReviewInput,
    WaitRunInput,
)
from tests.activities.conftest import Activities
from tests.activities.helpers import DEV_TOKEN, REPO, REVIEWER_1_TOKEN, client_for, environment, run

POLL = timedelta(seconds=0.05)
PROD = "prod/hotfix/2024-05-22_fix-login"
WORK = "hotfix/2024-05-22_fix-login"


@pytest.fixture
def acts(sandbox: Any) -> Activities:
    return Activities(client_for(sandbox), dispatch_lookup_attempts=40, dispatch_lookup_interval=0.05)


@pytest.fixture
def waits(sandbox: Any) -> GitHubWaits:
    return GitHubWaits(client_for(sandbox))


def _repo(sandbox: Any, token: str = DEV_TOKEN) -> Any:
    return sandbox.github(token=token).get_repo(REPO)


def _work_branch_with_a_pick(acts: Activities, sandbox: Any) -> str:
    base = _repo(sandbox).get_git_ref("heads/main").object.sha
    for branch in (WORK, PROD):
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=branch, sha=base))
    pick = next(
        c.sha for c in _repo(sandbox).get_commits(sha="develop") if c.commit.message == "Start feature X"
    )
    return run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[pick])).head_sha


async def test_wait_checks_returns_when_ci_is_green(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    head = _work_branch_with_a_pick(acts, sandbox)
    result = await environment().run(
        waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL)
    )
    assert (result.head_sha, result.conclusion, result.failed) == (head, "success", [])


async def test_wait_checks_waits_for_a_new_head(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    head = _work_branch_with_a_pick(acts, sandbox)
    heartbeats: list[Any] = []
    env = environment(start_to_close=timedelta(seconds=1))
    env.on_heartbeat = lambda *details: heartbeats.append(details)
    with pytest.raises(ApplicationError) as caught:
        await env.run(
            waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL, not_sha=head)
        )
    assert caught.value.type == NOT_YET and not caught.value.non_retryable
    assert heartbeats


async def test_wait_checks_reports_a_failed_check(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    _work_branch_with_a_pick(acts, sandbox)
    repo = _repo(sandbox)
    main = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    tree = repo.create_git_tree(
        [InputGitTreeElement("app.py", "100644", "blob", content="broken = True\n")], base_tree=main.tree
    )
    breaking = repo.create_git_commit("Break the app [ci-fail]", tree, [main])
    head = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[breaking.sha])).head_sha
    result = await environment().run(
        waits.wait_checks, WaitChecksInput(repository=REPO, ref=WORK, poll_interval=POLL)
    )
    assert (result.head_sha, result.conclusion, result.failed) == (head, "failure", ["ci"])


async def test_wait_review_returns_on_change(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    _work_branch_with_a_pick(acts, sandbox)
    pr = run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix", body=""),
    )
    arg = WaitReviewInput(repository=REPO, number=pr.number, poll_interval=POLL)
    first = await environment().run(waits.wait_review, arg)
    assert first.state == ReviewState.PENDING and first.approved_by == []

    waiting = asyncio.ensure_future(
        environment().run(waits.wait_review, arg.model_copy(update={"last": first}))
    )
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await asyncio.to_thread(
        lambda: _repo(sandbox, REVIEWER_1_TOKEN).get_pull(pr.number).create_review(event="APPROVE")
    )
    approved = await waiting
    assert approved.state == ReviewState.APPROVED
    assert approved.approved_by == ["prod-reviewer-1"]
    assert approved.head_sha == first.head_sha


async def test_wait_review_is_cancellable(acts: Activities, waits: GitHubWaits, sandbox: Any) -> None:
    _work_branch_with_a_pick(acts, sandbox)
    pr = run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix", body=""),
    )
    arg = WaitReviewInput(repository=REPO, number=pr.number, poll_interval=POLL)
    first = await environment().run(waits.wait_review, arg)
    env = environment()
    waiting = asyncio.ensure_future(env.run(waits.wait_review, arg.model_copy(update={"last": first})))
    await asyncio.sleep(0.2)
    env.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_wait_run_reports_reviewers_then_completion(
    acts: Activities, waits: GitHubWaits, sandbox: Any
) -> None:
    base = _repo(sandbox).get_git_ref("heads/main").object.sha
    run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=base))
    ref = run(
        acts.dispatch_deploy,
        DispatchInput(repository=REPO, workflow="deploy.yml", ref=PROD, not_before=datetime.now(UTC)),
    )
    arg = WaitRunInput(repository=REPO, run_id=ref.run_id, environment="prod", poll_interval=POLL)
    seen = await environment().run(waits.wait_run, arg)
    while seen.status != "waiting":
        seen = await environment().run(waits.wait_run, arg.model_copy(update={"last": seen}))
    assert seen.pending_reviewers == ["prod-reviewer-1", "prod-reviewer-2"]
    assert seen.head_sha == base

    def approve() -> None:
        requester = sandbox.github(token=REVIEWER_1_TOKEN).requester
        _, env = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/environments/prod")
        requester.requestJsonAndCheck(
            "POST",
            f"/repos/{REPO}/actions/runs/{ref.run_id}/pending_deployments",
            input={"environment_ids": [env["id"]], "state": "approved", "comment": "go"},
        )

    await asyncio.to_thread(approve)
    while seen.status != "completed":
        seen = await environment().run(waits.wait_run, arg.model_copy(update={"last": seen}))
        assert seen.pending_reviewers == []
    assert seen.conclusion == "success"
    # What is deployed now is the hotfix branch: the next hotfix starts from it.
    live = run(acts.find_base, FindBaseInput(repository=REPO, environment="prod", main_branch="main"))
    assert (live.source, live.ref, live.sha) == ("deployment", PROD, base)


@pytest.mark.parametrize("state", ["rejected", "approved"])
async def test_wait_run_tells_a_rejection_from_a_failed_deploy(
    acts: Activities, waits: GitHubWaits, sandbox: Any, state: str
) -> None:
    repo = _repo(sandbox)
    base = repo.get_git_ref("heads/main").object.sha
    if state == "approved":
        # The sandbox fails the deploy job of a head whose message says so, after approval.
        base = repo.create_git_commit(
            "[deploy-fail] breaks the deploy", repo.get_git_commit(base).tree, [repo.get_git_commit(base)]
        ).sha
    run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=base))
    ref = run(
        acts.dispatch_deploy,
        DispatchInput(repository=REPO, workflow="deploy.yml", ref=PROD, not_before=datetime.now(UTC)),
    )
    arg = WaitRunInput(repository=REPO, run_id=ref.run_id, environment="prod", poll_interval=POLL)
    seen = await environment().run(waits.wait_run, arg)
    while seen.status != "waiting":
        seen = await environment().run(waits.wait_run, arg.model_copy(update={"last": seen}))

    def review() -> None:
        requester = sandbox.github(token=REVIEWER_1_TOKEN).requester
        _, env = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/environments/prod")
        requester.requestJsonAndCheck(
            "POST",
            f"/repos/{REPO}/actions/runs/{ref.run_id}/pending_deployments",
            input={"environment_ids": [env["id"]], "state": state, "comment": state},
        )

    await asyncio.to_thread(review)
    while seen.status != "completed":
        seen = await environment().run(waits.wait_run, arg.model_copy(update={"last": seen}))
    assert seen.conclusion == "failure"
    assert seen.rejected is (state == "rejected")
