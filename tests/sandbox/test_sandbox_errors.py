"""GitHub's error answers, as PyGithub sees them."""

from __future__ import annotations

import pytest
from github import BadCredentialsException, GithubException, UnknownObjectException

from sandbox import seed
from sandbox.testing import SandboxHandle


def test_bad_token_is_401_with_githubs_body(sandbox: SandboxHandle) -> None:
    with pytest.raises(BadCredentialsException) as err:
        sandbox.github("not-a-token").get_user().login  # noqa: B018 - the property fetches
    assert err.value.status == 401
    assert err.value.data["message"] == "Bad credentials"
    assert err.value.data["documentation_url"].startswith("https://docs.github.com/")
    assert err.value.data["status"] == "401"


def test_unknown_repo_is_404(sandbox: SandboxHandle) -> None:
    with pytest.raises(UnknownObjectException) as err:
        sandbox.github().get_repo("acme/nope")
    assert err.value.data["message"] == "Not Found"


def test_duplicate_ref_is_422(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/prod/hotfix/dup", sha)
    with pytest.raises(GithubException) as err:
        repo.create_git_ref("refs/heads/prod/hotfix/dup", sha)
    assert err.value.status == 422
    assert err.value.data["message"] == "Reference already exists"


def test_duplicate_pr_and_empty_pr_are_422(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    repo.create_pull(base="main", head="develop", title="Release")
    with pytest.raises(GithubException) as err:
        repo.create_pull(base="main", head="develop", title="Release again")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["message"] == "A pull request already exists for acme:develop."
    with pytest.raises(GithubException) as empty:
        repo.create_pull(base="develop", head="main", title="Nothing new")
    assert empty.value.data["errors"][0]["message"] == "No commits between develop and main"


def _hotfix_pr(sandbox: SandboxHandle, name: str) -> tuple[object, str]:
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    repo.create_git_ref(f"refs/heads/prod/hotfix/{name}", sha)
    repo.create_git_ref(f"refs/heads/fix/{name}", sha)
    repo.create_file(f"{name}.txt", f"Fix {name}", "fixed\n", branch=f"fix/{name}")
    pr = repo.create_pull(base=f"prod/hotfix/{name}", head=f"fix/{name}", title=f"Fix {name}")
    return pr, repo.get_branch(f"fix/{name}").commit.sha


def test_unapproved_merge_405_stale_sha_409_self_approval_422(sandbox: SandboxHandle) -> None:
    pr, head = _hotfix_pr(sandbox, "errors")
    with pytest.raises(GithubException) as unapproved:
        pr.merge()  # type: ignore[attr-defined]
    assert unapproved.value.status == 405
    with pytest.raises(GithubException) as own:
        pr.create_review(event="APPROVE")  # type: ignore[attr-defined]
    assert own.value.status == 422
    assert own.value.data["errors"] == ["Can not approve your own pull request"]
    sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(  # type: ignore[attr-defined]
        event="APPROVE"
    )
    with pytest.raises(GithubException) as stale:
        pr.merge(sha="0" * 40)  # type: ignore[attr-defined]
    assert stale.value.status == 409
    assert stale.value.data["message"] == "Head branch was modified. Review and try the merge again."
    assert pr.merge(sha=head).merged  # type: ignore[attr-defined]


def test_conflicting_pr_is_not_mergeable(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    sha = repo.get_branch("main").commit.sha
    for branch in ("left", "right"):
        repo.create_git_ref(f"refs/heads/{branch}", sha)
        current = repo.get_contents("README.md", ref=branch)
        repo.update_file("README.md", f"{branch} edit", f"# {branch}\n", current.sha, branch=branch)  # type: ignore[union-attr]
    pr = repo.create_pull(base="left", head="right", title="Conflict")
    fresh = repo.get_pull(pr.number)
    assert fresh.mergeable is False and fresh.mergeable_state == "dirty"
    with pytest.raises(GithubException) as err:
        fresh.merge()
    assert err.value.status == 405 and err.value.data["message"] == "Pull Request is not mergeable"
    with pytest.raises(GithubException) as merges:
        repo.merge("left", "right")
    assert merges.value.status == 409 and merges.value.data["message"] == "Merge conflict"


def test_non_reviewer_cannot_approve_a_deployment(sandbox: SandboxHandle) -> None:
    bot = sandbox.github()
    run = (
        bot.get_repo(seed.REPO)
        .get_workflow(seed.DEPLOY_WORKFLOW)
        .create_dispatch("main", throw=True, return_run_details=True)
    )
    url = f"/repos/{seed.REPO}/actions/runs/{run.id}/pending_deployments"
    _, pending = bot.requester.requestJsonAndCheck("GET", url)
    env_id = pending[0]["environment"]["id"]
    for token in (seed.BOT_TOKEN, seed.DEV_TOKEN):
        with pytest.raises(GithubException) as err:
            sandbox.github(token).requester.requestJsonAndCheck(
                "POST", url, input={"environment_ids": [env_id], "state": "approved", "comment": "me"}
            )
        # GitHub's shape: the reason is a bare string in `errors`, `message` is the generic one.
        assert err.value.status == 422 and err.value.data["message"] == "Validation Failed"
        assert err.value.data["errors"] == "No pending deployment requests to approve or reject"
    assert bot.get_repo(seed.REPO).get_workflow_run(run.id).status == "waiting"


def test_protected_branch_refuses_direct_updates(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    main = repo.get_branch("main").commit.sha
    repo.create_git_ref("refs/heads/prod/hotfix/direct", main)
    with pytest.raises(GithubException) as err:
        repo.create_file("x.txt", "direct", "x", branch="prod/hotfix/direct")
    assert err.value.status == 409
    develop = repo.get_branch("develop").commit.sha
    with pytest.raises(GithubException) as patch:
        repo.get_git_ref("heads/prod/hotfix/direct").edit(develop)
    assert patch.value.status == 422
