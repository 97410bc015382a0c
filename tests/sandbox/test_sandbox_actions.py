"""Actions runs against the prod environment: policies, reviewers, rejection, re-runs, cancel, filters."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.helpers import wait_for


def _pending_env(sandbox: SandboxHandle, run_id: int) -> int:
    _, pending = sandbox.github().requester.requestJsonAndCheck(
        "GET", f"/repos/{seed.REPO}/actions/runs/{run_id}/pending_deployments"
    )
    return int(pending[0]["environment"]["id"])


def _review(sandbox: SandboxHandle, run_id: int, state: str, token: str = seed.REVIEWER_1_TOKEN) -> list:
    env_id = _pending_env(sandbox, run_id)
    _, out = sandbox.github(token).requester.requestJsonAndCheck(
        "POST",
        f"/repos/{seed.REPO}/actions/runs/{run_id}/pending_deployments",
        input={"environment_ids": [env_id], "state": state, "comment": state},
    )
    return out


def _completed(sandbox: SandboxHandle, run_id: int) -> object:
    repo = sandbox.github().get_repo(seed.REPO)
    return wait_for(lambda: (r := repo.get_workflow_run(run_id)).status == "completed" and r, "run completes")


def test_branch_not_allowed_by_environment_fails_at_once(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    workflow = repo.get_workflow(seed.DEPLOY_WORKFLOW)
    assert workflow.create_dispatch("develop", throw=True) is True  # 204 without run details
    run = workflow.get_runs(branch="develop")[0]
    assert (run.status, run.conclusion) == ("completed", "failure")
    _, pending = sandbox.github().requester.requestJsonAndCheck(
        "GET", f"/repos/{seed.REPO}/actions/runs/{run.id}/pending_deployments"
    )
    assert pending == []


def test_rejection_fails_and_rerun_failed_jobs_waits_again(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch("main", throw=True, return_run_details=True)
    assert _review(sandbox, run.id, "rejected") == []
    rejected = repo.get_workflow_run(run.id)
    assert (rejected.status, rejected.conclusion) == ("completed", "failure")
    assert rejected.rerun_failed_jobs() is True
    again = repo.get_workflow_run(run.id)
    assert (again.status, again.run_attempt) == ("waiting", 2)
    deployments = _review(sandbox, run.id, "approved", seed.REVIEWER_2_TOKEN)
    assert deployments[0]["sha"] == again.head_sha
    done = _completed(sandbox, run.id)
    assert done.conclusion == "success"  # type: ignore[attr-defined]
    jobs = list(repo.get_workflow_run(run.id).jobs())
    assert [(j.name, j.conclusion) for j in jobs] == [("deploy", "success")]


def test_deploy_fail_marker_and_rerun(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/prod/hotfix/broken", sha)
    # A branch of the bot's own: not protected, so a direct commit is allowed.
    repo.create_git_ref("refs/heads/tmp", sha)
    repo.create_file("bad.txt", "Broken deploy [deploy-fail]", "x", branch="tmp")
    repo.get_git_ref("heads/prod/hotfix/broken")  # exists
    # Move the prod branch by a reviewed PR, as protection demands.
    pr = repo.create_pull(base="prod/hotfix/broken", head="tmp", title="broken")
    sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
        event="APPROVE"
    )
    repo.get_pull(pr.number).merge(merge_method="squash", commit_title="Broken deploy [deploy-fail]")
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch(
        "prod/hotfix/broken", throw=True, return_run_details=True
    )
    _review(sandbox, run.id, "approved")
    assert _completed(sandbox, run.id).conclusion == "failure"  # type: ignore[attr-defined]
    deployment = repo.get_deployments(environment="prod", ref="prod/hotfix/broken")[0]
    assert [s.state for s in deployment.get_statuses()] == ["failure", "in_progress", "queued", "waiting"]
    assert repo.get_workflow_run(run.id).rerun() is True
    assert repo.get_workflow_run(run.id).status == "waiting"


def test_cancel_and_cancel_twice(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch("main", throw=True, return_run_details=True)
    assert run.cancel() is True
    assert repo.get_workflow_run(run.id).conclusion == "cancelled"
    with pytest.raises(GithubException) as err:
        sandbox.github().requester.requestJsonAndCheck(
            "POST", f"/repos/{seed.REPO}/actions/runs/{run.id}/cancel"
        )
    assert err.value.status == 409


def test_run_filters(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    workflow = repo.get_workflow(seed.DEPLOY_WORKFLOW)
    before = (datetime.now(UTC) - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    first = workflow.create_dispatch("main", throw=True, return_run_details=True)
    second = workflow.create_dispatch("develop", throw=True, return_run_details=True)
    by_branch = [r.id for r in workflow.get_runs(branch="main", event="workflow_dispatch")]
    assert by_branch == [first.id]
    waiting = [r.id for r in repo.get_workflow_runs(status="waiting")]
    assert waiting == [first.id]
    failed = [r.id for r in repo.get_workflow_runs(status="failure")]
    assert failed == [second.id]
    recent = [r.id for r in workflow.get_runs(created=f">={before}")]
    assert recent == [second.id, first.id]
    assert list(workflow.get_runs(created=">=2999-01-01T00:00:00Z")) == []
    main_sha = repo.get_branch("main").commit.sha
    assert [r.id for r in workflow.get_runs(head_sha=main_sha)] == [first.id]
    assert repo.get_workflow(workflow.id).path == ".github/workflows/deploy.yml"
    assert sorted(w.name for w in repo.get_workflows()) == ["CI", "Deploy"]


def test_ci_workflow_has_no_dispatch_trigger(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    with pytest.raises(GithubException) as err:
        repo.get_workflow(seed.CI_WORKFLOW).create_dispatch("main", throw=True)
    assert err.value.status == 422


def test_environment_and_rules_endpoints(sandbox: SandboxHandle) -> None:
    gh = sandbox.github()
    repo = gh.get_repo(seed.REPO)
    env = repo.get_environment("prod")
    reviewers = [
        r for rule in env.protection_rules if rule.type == "required_reviewers" for r in rule.reviewers
    ]
    assert sorted(r.reviewer.login for r in reviewers) == [seed.REVIEWER_1, seed.REVIEWER_2]  # type: ignore[union-attr]
    assert [e.name for e in repo.get_environments()] == ["prod"]
    _, policies = gh.requester.requestJsonAndCheck(
        "GET", f"/repos/{seed.REPO}/environments/prod/deployment-branch-policies"
    )
    assert [p["name"] for p in policies["branch_policies"]] == ["main", "prod/hotfix/*"]
    # The runbook's rule is classic protection: the rules endpoint (rulesets only) does not list it.
    _, rules = gh.requester.requestJsonAndCheck("GET", f"/repos/{seed.REPO}/rules/branches/prod/hotfix/rules")
    assert rules == []
    admin_repo = sandbox.github(seed.ADMIN_TOKEN).get_repo(seed.REPO)
    repo.create_git_ref("refs/heads/prod/hotfix/rules", repo.get_branch("main").commit.sha)
    protection = admin_repo.get_branch("prod/hotfix/rules").get_protection()
    assert protection.required_pull_request_reviews.required_approving_review_count == 1
    with pytest.raises(GithubException) as err:
        admin_repo.get_branch("main").get_protection()
    assert err.value.status == 404


def test_a_new_run_is_listed_only_after_the_lag_but_can_be_fetched_at_once(sandbox: SandboxHandle) -> None:
    sandbox.set_settings(run_list_lag_seconds=0.5)
    repo = sandbox.github().get_repo(seed.REPO)
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch("main", throw=True, return_run_details=True)
    assert repo.get_workflow_run(run.id).id == run.id
    assert run.id not in [r.id for r in repo.get_workflow_runs()]
    wait_for(lambda: run.id in [r.id for r in repo.get_workflow_runs()], "the run is listed")


def test_a_deployment_exists_from_the_wait_for_reviewers_and_a_rejection_fails_it(
    sandbox: SandboxHandle,
) -> None:
    # As on GitHub: the newest deployment of an environment is often one that never ran, so "what is
    # deployed" is the newest whose newest status is success, not the newest deployment.
    repo = sandbox.github(seed.BOT_TOKEN).get_repo(seed.REPO)
    before = repo.get_deployments(environment="prod")[0]
    run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch("main", throw=True, return_run_details=True)
    waiting = until_deployment(repo, before.id)
    assert [s.state for s in waiting.get_statuses()] == ["waiting"]
    _review(sandbox, run.id, "rejected")
    assert [s.state for s in waiting.get_statuses()] == ["failure", "waiting"]
    # The one that ran before is still what runs: nothing superseded it.
    assert before.get_statuses()[0].state == "success"


def until_deployment(repo: Any, after: int) -> Any:
    for _ in range(100):
        newest = repo.get_deployments(environment="prod")[0]
        if newest.id != after:
            return newest
        time.sleep(0.05)
    raise AssertionError("no deployment was made while the run waited for its reviewers")
