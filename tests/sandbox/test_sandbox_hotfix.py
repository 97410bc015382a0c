"""The whole hotfix sequence of the runbook, driven by the unchanged PyGithub client."""

from __future__ import annotations

import base64

import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.helpers import wait_for

BRANCH = "hotfix/2024-05-22_fix-timeout"
PROD_BRANCH = "prod/hotfix/2024-05-22_fix-timeout"


def test_whole_hotfix_through_pygithub(sandbox: SandboxHandle) -> None:
    bot = sandbox.github(seed.BOT_TOKEN)
    repo = bot.get_repo(seed.REPO)

    # 1. What is in production: the newest prod deployment and its newest status.
    last = repo.get_deployments(environment="prod")[0]
    assert last.ref == "main"
    assert [s.state for s in last.get_statuses()] == ["success", "in_progress"]
    main_sha = repo.get_branch("main").commit.sha
    assert last.sha == main_sha

    # 2. Both branches from the deployed commit.
    repo.create_git_ref(f"refs/heads/{BRANCH}", last.sha)
    repo.create_git_ref(f"refs/heads/{PROD_BRANCH}", last.sha)
    assert repo.get_git_ref(f"heads/{PROD_BRANCH}").object.sha == last.sha
    assert repo.get_branch(PROD_BRANCH).protected is True
    assert repo.get_branch(BRANCH).protected is False

    # 3. The fix, committed through the contents API as dev-1.
    dev_repo = sandbox.github(seed.DEV_TOKEN).get_repo(seed.REPO)
    current = dev_repo.get_contents("app.py", ref=BRANCH)
    assert not isinstance(current, list)
    fixed = current.decoded_content.decode().replace('"ok"', '"fixed"')
    result = dev_repo.update_file("app.py", "Fix the timeout", fixed, current.sha, branch=BRANCH)
    fix_sha = result["commit"].sha
    commit = repo.get_commit(fix_sha)
    assert commit.author.login == seed.DEV
    assert commit.parents[0].sha == last.sha
    assert repo.get_branch(BRANCH).commit.sha == fix_sha

    # 4. CI goes green on the new head (by branch name, as the check-runs endpoint allows).
    def ci_done() -> object:
        runs = [r for r in repo.get_commit(BRANCH).get_check_runs(check_name="ci")]
        return runs and runs[0].status == "completed" and runs[0]

    ci = wait_for(ci_done, "ci completes")
    assert ci.conclusion == "success"
    assert ci.head_sha == fix_sha

    # 5. The PR, opened by the bot; merging before approval is refused like GitHub does.
    pr = repo.create_pull(
        base=PROD_BRANCH, head=BRANCH, title="Hotfix: fix the timeout", body="Runbook step 5"
    )
    assert pr.head.sha == fix_sha and pr.base.ref == PROD_BRANCH
    assert pr.mergeable is True and pr.mergeable_state == "blocked"
    with pytest.raises(GithubException) as refused:
        pr.merge(sha=fix_sha)
    assert refused.value.status == 405
    assert (
        refused.value.data["message"]
        == "At least 1 approving review is required by reviewers with write access."
    )

    # 6. Approval by prod-reviewer-1, then the merge: a real merge commit on the prod branch.
    reviewer_pr = sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number)
    review = reviewer_pr.create_review(event="APPROVE", body="LGTM")
    assert review.state == "APPROVED" and review.commit_id == fix_sha

    # The PR's own CI run (Actions' pull_request suite) is still pending for a moment after it was
    # opened; until it ends GitHub says "unstable", then "clean". (Waiting for the check runs to be
    # completed raced: under load the PR's run was not created yet, and no runs were all completed.)
    def clean() -> object:
        return repo.get_pull(pr.number).mergeable_state == "clean" or None

    wait_for(clean, "the PR's own checks complete and the PR is clean")
    runs = list(repo.get_commit(fix_sha).get_check_runs())
    assert runs and all(r.status == "completed" for r in runs)
    merged = repo.get_pull(pr.number).merge(sha=fix_sha, merge_method="merge")
    assert merged.merged is True
    prod_head = repo.get_branch(PROD_BRANCH).commit
    assert prod_head.sha == merged.sha
    assert [p.sha for p in prod_head.parents] == [last.sha, fix_sha]
    after = repo.get_pull(pr.number)
    assert after.merged and after.state == "closed" and after.merge_commit_sha == merged.sha
    assert after.merged_by.login == seed.BOT

    # 7. Dispatch deploy.yml on the prod branch; the run waits for the environment's reviewers.
    workflow = repo.get_workflow(seed.DEPLOY_WORKFLOW)
    run = workflow.create_dispatch(PROD_BRANCH, throw=True, return_run_details=True)
    assert run.status == "waiting"  # lazily completed from run_url
    assert run.head_branch == PROD_BRANCH and run.head_sha == merged.sha
    assert run.event == "workflow_dispatch" and run.run_attempt == 1
    pending_url = f"/repos/{seed.REPO}/actions/runs/{run.id}/pending_deployments"
    _, pending = bot.requester.requestJsonAndCheck("GET", pending_url)
    assert len(pending) == 1
    assert pending[0]["environment"]["name"] == "prod"
    assert [r["reviewer"]["login"] for r in pending[0]["reviewers"]] == [seed.REVIEWER_1, seed.REVIEWER_2]
    assert all(r["type"] == "User" for r in pending[0]["reviewers"])
    assert pending[0]["current_user_can_approve"] is False

    # 8. prod-reviewer-2 approves; the run deploys and succeeds.
    reviewer2 = sandbox.github(seed.REVIEWER_2_TOKEN)
    _, mine = reviewer2.requester.requestJsonAndCheck("GET", pending_url)
    assert mine[0]["current_user_can_approve"] is True
    _, created = reviewer2.requester.requestJsonAndCheck(
        "POST",
        pending_url,
        input={
            "environment_ids": [pending[0]["environment"]["id"]],
            "state": "approved",
            "comment": "Ship it",
        },
    )
    assert created[0]["environment"] == "prod" and created[0]["ref"] == PROD_BRANCH

    def run_done() -> object:
        fresh = repo.get_workflow_run(run.id)
        return fresh.status == "completed" and fresh

    finished = wait_for(run_done, "deploy run completes")
    assert finished.conclusion == "success"
    _, approvals = bot.requester.requestJsonAndCheck(
        "GET", f"/repos/{seed.REPO}/actions/runs/{run.id}/approvals"
    )
    assert approvals[0]["user"]["login"] == seed.REVIEWER_2 and approvals[0]["state"] == "approved"

    # 9. The new prod deployment is the newest, with statuses newest first: made when the run began to
    # wait for its reviewers, queued once approved. The one it replaced runs no more: inactive.
    newest = repo.get_deployments(environment="prod")[0]
    assert (newest.ref, newest.sha) == (PROD_BRANCH, merged.sha)
    assert [s.state for s in newest.get_statuses()] == ["success", "in_progress", "queued", "waiting"]
    assert repo.get_deployment(last.id).get_statuses()[0].state == "inactive"

    # 10. Back-merge PR into develop.
    back = repo.create_pull(base="develop", head=PROD_BRANCH, title="Back-merge the hotfix into develop")
    assert back.base.ref == "develop" and back.head.sha == merged.sha
    assert back.mergeable is True
    found = repo.get_pulls(state="open", head=f"{seed.OWNER}:{PROD_BRANCH}", base="develop")
    assert [p.number for p in found] == [back.number]


def test_contents_put_creates_a_commit_and_ci_failure_marker(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/feature/ci", main)
    created = repo.create_file("docs/new.md", "Add docs [ci-fail]", "hello\n", branch="feature/ci")
    sha = created["commit"].sha

    def ci_done() -> object:
        runs = list(repo.get_commit(sha).get_check_runs())
        return runs and runs[0].status == "completed" and runs[0]

    assert wait_for(ci_done, "ci completes").conclusion == "failure"
    content = repo.get_contents("docs/new.md", ref="feature/ci")
    assert not isinstance(content, list)
    assert base64.b64decode(content.content) == b"hello\n"
    listing = repo.get_contents("docs", ref="feature/ci")
    assert isinstance(listing, list) and [c.name for c in listing] == ["new.md"]
    # The combined status is pending: only check runs exist, as on GitHub.
    assert repo.get_commit(sha).get_combined_status().state == "pending"
