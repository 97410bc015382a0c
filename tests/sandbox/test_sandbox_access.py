"""Permissions (issue #17): roles and GitHub's answers about them, teams, Actions' settings, self-review."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MakeSandbox


def api(sb: SandboxHandle, path: str, token: str = seed.BOT_TOKEN, method: str = "GET", **kw: Any) -> Any:
    return sb.github(token).requester.requestJsonAndCheck(method, path, **kw)[1]


def permission(sb: SandboxHandle, login: str, token: str = seed.BOT_TOKEN) -> Any:
    return api(sb, f"/repos/{seed.REPO}/collaborators/{login}/permission", token)


def access_seed() -> dict[str, Any]:
    s = seed.default_seed()
    s["users"] += [{"login": "triager", "token": "t-triage"}, {"login": "keeper", "token": "t-keep"}]
    s["users"] += [{"login": "outsider", "token": "t-out"}]
    spec = seed.repo_spec(s)
    spec["collaborators"].update({"triager": "triage", "keeper": "maintain"})
    return s


def test_permission_answers_legacy_names_and_exact_roles(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(access_seed()) as sb:
        expected = {
            seed.ADMIN: ("admin", "admin"),  # an organisation owner
            "keeper": ("write", "maintain"),
            seed.DEV: ("write", "write"),
            "triager": ("read", "triage"),
            seed.READER: ("read", "read"),
            "outsider": ("none", "none"),
        }
        for login, (legacy, role) in expected.items():
            body = permission(sb, login)
            assert (body["permission"], body["role_name"]) == (legacy, role), login
            assert body["user"]["login"] == login and body["user"]["role_name"] == role
        assert permission(sb, seed.READER)["user"]["permissions"] == {
            "pull": True,
            "triage": False,
            "push": False,
            "maintain": False,
            "admin": False,
        }
        # PyGithub reads `permission`, the legacy name.
        assert sb.github().get_repo(seed.REPO).get_collaborator_permission("keeper") == "write"
        with pytest.raises(GithubException) as err:
            permission(sb, "nobody-at-all")
        assert err.value.status == 404
        # Only a user with push access may ask.
        with pytest.raises(GithubException) as err:
            permission(sb, seed.DEV, seed.READER_TOKEN)
        assert err.value.status == 403
        assert err.value.data["message"] == "Must have push access to view collaborator permission."
        # A user without access does not see the private repository at all.
        with pytest.raises(GithubException) as err:
            sb.github("t-out").get_repo(seed.REPO)
        assert err.value.status == 404


def test_read_only_users_cannot_write(sandbox: SandboxHandle) -> None:
    reader = sandbox.github(seed.READER_TOKEN).get_repo(seed.REPO)
    main = reader.get_branch("main").commit.sha
    with pytest.raises(GithubException) as err:
        reader.create_git_ref("refs/heads/reader-branch", main)
    assert err.value.status == 404
    with pytest.raises(GithubException) as err:
        reader.get_commit(main).create_status("success", context="ci")
    assert err.value.status == 404
    logins = [c.login for c in sandbox.github().get_repo(seed.REPO).get_collaborators()]
    assert seed.READER in logins and seed.ACTIONS_BOT not in logins


def test_teams_and_their_members(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    s["teams"] = [
        {
            "org": seed.OWNER,
            "slug": "prod-owners",
            "members": [seed.REVIEWER_1],
            "maintainers": [seed.REVIEWER_2],
        }
    ]
    with make_sandbox(s) as sb:
        base = f"/orgs/{seed.OWNER}/teams/prod-owners"
        assert api(sb, f"{base}/memberships/{seed.REVIEWER_1}")["role"] == "member"
        membership = api(sb, f"{base}/memberships/{seed.REVIEWER_2}")
        assert (membership["role"], membership["state"]) == ("maintainer", "active")
        with pytest.raises(GithubException) as err:
            api(sb, f"{base}/memberships/{seed.DEV}")
        assert err.value.status == 404
        members = api(sb, f"{base}/members")
        assert sorted(m["login"] for m in members) == [seed.REVIEWER_1, seed.REVIEWER_2]
        assert [m["login"] for m in api(sb, f"{base}/members?role=maintainer")] == [seed.REVIEWER_2]
        with pytest.raises(GithubException) as err:
            api(sb, f"/orgs/{seed.OWNER}/teams/nope/members")
        assert err.value.status == 404


def test_actions_workflow_permissions(make_sandbox: MakeSandbox, sandbox: SandboxHandle) -> None:
    path = f"/repos/{seed.REPO}/actions/permissions/workflow"
    # Raw HTTP: PyGithub adds a `url` key to what it returns.
    body = httpx.get(
        f"{sandbox.api_url}{path}", headers={"Authorization": f"token {seed.BOT_TOKEN}"}, timeout=10
    ).json()
    assert body == {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": False}
    s = seed.default_seed()
    seed.repo_spec(s)["actions_permissions"] = {
        "default_workflow_permissions": "write",
        "can_approve_pull_request_reviews": True,
    }
    with make_sandbox(s) as sb:
        body = api(sb, path)
        assert (body["default_workflow_permissions"], body["can_approve_pull_request_reviews"]) == (
            "write",
            True,
        )


def test_prevent_self_review_refuses_the_dispatcher(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    seed.repo_spec(s)["environments"][0]["prevent_self_review"] = True
    with make_sandbox(s) as sb:
        repo = sb.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO)
        env = repo.get_environment("prod")
        rule = next(r for r in env.raw_data["protection_rules"] if r["type"] == "required_reviewers")
        assert rule["prevent_self_review"] is True
        run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch(
            "main", throw=True, return_run_details=True
        )
        runs = f"/repos/{seed.REPO}/actions/runs/{run.id}/pending_deployments"
        mine = api(sb, runs, seed.REVIEWER_1_TOKEN)
        assert mine[0]["current_user_can_approve"] is False
        assert api(sb, runs, seed.REVIEWER_2_TOKEN)[0]["current_user_can_approve"] is True
        body = {"environment_ids": [env.id], "state": "approved", "comment": "mine"}
        with pytest.raises(GithubException) as err:
            api(sb, runs, seed.REVIEWER_1_TOKEN, "POST", input=body)
        assert err.value.status == 422
        assert api(sb, runs, seed.REVIEWER_2_TOKEN, "POST", input=body)[0]["environment"] == "prod"
