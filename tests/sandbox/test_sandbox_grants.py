"""Who may do what beyond roles: a token's or an App's permissions (403), teams as environment
reviewers, and the merge methods a repository allows (405)."""

from __future__ import annotations

from typing import Any

import pytest
from github import GithubException, UnknownObjectException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import open_hotfix_pr, wait_for

FINE_TOKEN = "sandbox-fine-grained-token"
OUTSIDER_TOKEN = "sandbox-outsider-fine-token"


def _seed_with_fine_grained_tokens() -> dict[str, Any]:
    s = seed.default_seed()
    perms = {"contents": "read", "pull_requests": "read"}
    s["users"].append({"login": "fine-1", "token": FINE_TOKEN, "token_permissions": perms})
    s["users"].append({"login": "outsider-1", "token": OUTSIDER_TOKEN, "token_permissions": perms})
    seed.repo_spec(s)["collaborators"]["fine-1"] = "write"
    return s


def test_a_fine_grained_token_may_do_only_what_it_was_granted(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(_seed_with_fine_grained_tokens()) as sb:
        repo = sb.github(FINE_TOKEN).get_repo(seed.REPO)
        assert repo.get_pulls().totalCount == 0 and repo.get_branch("main")
        with pytest.raises(GithubException) as err:
            repo.create_pull(base="main", head="develop", title="not granted")
        assert err.value.status == 403
        assert err.value.data["message"] == "Resource not accessible by personal access token"
        assert (err.value.headers or {})["x-accepted-github-permissions"] == "pull_requests=write"
        with pytest.raises(GithubException) as runs:
            repo.get_workflow_runs().totalCount  # noqa: B018 - the property fetches
        assert runs.value.status == 403
        # A repository the token's user cannot read is 404, before any permission is looked at.
        with pytest.raises(UnknownObjectException):
            sb.github(OUTSIDER_TOKEN).get_repo(seed.REPO)


def test_an_apps_token_may_do_only_what_the_app_was_granted(sandbox: SandboxHandle) -> None:
    repo = sandbox.github(seed.OTHER_CI_TOKEN).get_repo(seed.REPO)  # metadata: every App has it
    sha = repo.get_branch("main").commit.sha
    assert repo.create_check_run("ci/test", sha, status="completed", conclusion="success").id
    with pytest.raises(GithubException) as err:
        repo.get_pulls().totalCount  # noqa: B018
    assert err.value.status == 403 and err.value.data["message"] == "Resource not accessible by integration"


def test_a_team_may_be_an_environments_required_reviewer(sandbox: SandboxHandle) -> None:
    sandbox.configure_repo(seed.REPO, environments=[{"name": "prod", "reviewers": ["acme/prod-approvers"]}])
    bot = sandbox.github()
    env = bot.requester.requestJsonAndCheck("GET", f"/repos/{seed.REPO}/environments/prod")[1]
    rule = next(r for r in env["protection_rules"] if r["type"] == "required_reviewers")
    assert [(r["type"], r["reviewer"]["slug"]) for r in rule["reviewers"]] == [("Team", "prod-approvers")]
    run = (
        bot.get_repo(seed.REPO)
        .get_workflow(seed.DEPLOY_WORKFLOW)
        .create_dispatch("main", throw=True, return_run_details=True)
    )
    path = f"/repos/{seed.REPO}/actions/runs/{run.id}/pending_deployments"
    member = sandbox.github(seed.REVIEWER_2_TOKEN)
    pending = member.requester.requestJsonAndCheck("GET", path)[1]
    assert pending[0]["current_user_can_approve"] is True and pending[0]["reviewers"][0]["type"] == "Team"
    body = {"environment_ids": [pending[0]["environment"]["id"]], "state": "approved", "comment": "ok"}
    with pytest.raises(GithubException) as err:  # dev-1 is not in the team
        sandbox.github(seed.DEV_TOKEN).requester.requestJsonAndCheck("POST", path, input=body)
    assert err.value.status == 422
    assert member.requester.requestJsonAndCheck("POST", path, input=body)[1]


def test_a_merge_method_the_repository_does_not_allow_is_405(sandbox: SandboxHandle) -> None:
    sandbox.configure_repo(seed.REPO, merge_methods={"allow_merge_commit": False})
    assert sandbox.github().get_repo(seed.REPO).allow_merge_commit is False
    pr = open_hotfix_pr(sandbox, "methods", author_token=seed.DEV_TOKEN)
    sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
        event="APPROVE"
    )
    bot = sandbox.github().get_repo(seed.REPO)
    wait_for(lambda: bot.get_pull(pr.number).mergeable_state == "clean", "checks green")
    with pytest.raises(GithubException) as err:
        bot.get_pull(pr.number).merge(merge_method="merge")
    assert err.value.status == 405
    assert err.value.data["message"] == "Merge commits are not allowed on this repository."
    assert bot.get_pull(pr.number).merge(merge_method="squash").merged
