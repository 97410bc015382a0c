"""Classic branch protection and rulesets are apart, as on GitHub, and a merge must satisfy both."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import ci_done, open_hotfix_pr, push_fix

HOTFIX_RULESET: dict[str, Any] = {
    "name": "prod hotfixes",
    "enforcement": "active",
    "conditions": {"ref_name": {"include": ["refs/heads/prod/hotfix/*"], "exclude": []}},
    "rules": [
        {"type": "pull_request", "parameters": {"required_approving_review_count": 2}},
        {
            "type": "required_status_checks",
            "parameters": {"required_status_checks": [{"context": "ci", "integration_id": 15368}]},
        },
        {"type": "non_fast_forward"},
    ],
}


def get(sandbox: SandboxHandle, path: str, token: str = seed.BOT_TOKEN) -> Any:
    return sandbox.github(token).requester.requestJsonAndCheck("GET", f"/repos/{seed.REPO}{path}")[1]


def test_classic_protection_shows_only_to_admins_and_only_classic(sandbox: SandboxHandle) -> None:
    bot_repo = sandbox.github().get_repo(seed.REPO)
    bot_repo.create_git_ref("refs/heads/prod/hotfix/p", bot_repo.get_branch("main").commit.sha)
    admin = sandbox.github(seed.ADMIN_TOKEN)
    body = admin.requester.requestJsonAndCheck(
        "GET", f"/repos/{seed.REPO}/branches/prod/hotfix/p/protection"
    )[1]
    reviews = body["required_pull_request_reviews"]
    assert reviews == {
        "url": reviews["url"],
        "dismiss_stale_reviews": False,
        "require_code_owner_reviews": False,
        "required_approving_review_count": 1,
        "require_last_push_approval": False,
    }
    assert body["enforce_admins"]["enabled"] is False
    # A user with write access only cannot read it: GitHub answers 404.
    dev_repo = sandbox.github(seed.DEV_TOKEN).get_repo(seed.REPO)
    with pytest.raises(GithubException) as err:
        dev_repo.get_branch("prod/hotfix/p").get_protection()
    assert err.value.status == 404 and err.value.data["message"] == "Not Found"
    # The product's bot may: like a GitHub App granted Administration: read.
    assert bot_repo.get_branch("prod/hotfix/p").get_protection().required_pull_request_reviews is not None
    with pytest.raises(GithubException) as err:
        admin.get_repo(seed.REPO).get_branch("main").get_protection()
    assert (err.value.status, err.value.data["message"]) == (404, "Branch not protected")
    with pytest.raises(GithubException) as err:
        admin.requester.requestJsonAndCheck("GET", f"/repos/{seed.REPO}/branches/prod/hotfix/none/protection")
    assert (err.value.status, err.value.data["message"]) == (404, "Branch not found")
    # What anyone who can read sees on the branch: protected, and the required checks (none here).
    branch = bot_repo.get_branch("prod/hotfix/p")
    assert branch.protected is True
    assert branch.raw_data["protection"]["required_status_checks"]["contexts"] == []
    # The rules endpoint lists rulesets only: none in the default seed.
    assert get(sandbox, "/rules/branches/prod/hotfix/p") == []
    assert get(sandbox, "/rulesets") == []


def test_rulesets_are_listed_and_apply_to_branches_that_do_not_exist(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    spec = seed.repo_spec(s)
    spec["protection"] = []
    evaluate = {**HOTFIX_RULESET, "name": "trial", "enforcement": "evaluate"}
    spec["rulesets"] = [HOTFIX_RULESET, evaluate]
    with make_sandbox(s) as sb:
        listed = get(sb, "/rulesets")
        assert [(r["name"], r["enforcement"]) for r in listed] == [
            ("prod hotfixes", "active"),
            ("trial", "evaluate"),
        ]
        full = get(sb, f"/rulesets/{listed[0]['id']}")
        assert full["conditions"]["ref_name"]["include"] == ["refs/heads/prod/hotfix/*"]
        assert [r["type"] for r in full["rules"]] == [
            "pull_request",
            "required_status_checks",
            "non_fast_forward",
        ]
        # The branch does not exist; only the active ruleset's rules apply, each naming its ruleset.
        rules = get(sb, "/rules/branches/prod/hotfix/not-yet")
        assert [r["type"] for r in rules] == ["pull_request", "required_status_checks", "non_fast_forward"]
        assert {r["ruleset_id"] for r in rules} == {listed[0]["id"]}
        assert rules[0]["ruleset_source_type"] == "Repository" and rules[0]["ruleset_source"] == seed.REPO
        params = rules[0]["parameters"]
        assert params["required_approving_review_count"] == 2
        assert params["dismiss_stale_reviews_on_push"] is False
        assert rules[1]["parameters"] == {
            "strict_required_status_checks_policy": False,
            "required_status_checks": [{"context": "ci", "integration_id": 15368}],
        }
        assert get(sb, "/rules/branches/prod/hotfix/a/b") == []  # '*' stops at '/'
        assert get(sb, "/rules/branches/main") == []
        # Rulesets are not classic protection: the branch is not "protected" and has no protection.
        repo = sb.github().get_repo(seed.REPO)
        repo.create_git_ref("refs/heads/prod/hotfix/r", repo.get_branch("main").commit.sha)
        assert repo.get_branch("prod/hotfix/r").protected is False
        with pytest.raises(GithubException) as err:
            sb.github(seed.ADMIN_TOKEN).get_repo(seed.REPO).get_branch("prod/hotfix/r").get_protection()
        assert err.value.data["message"] == "Branch not protected"
        with pytest.raises(GithubException) as err:
            get(sb, "/rulesets/999999")
        assert err.value.status == 404


def test_merge_needs_classic_and_rulesets_together(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    seed.repo_spec(s)["rulesets"] = [HOTFIX_RULESET]  # classic asks 1 approval, the ruleset 2
    with make_sandbox(s) as sb:
        pr = open_hotfix_pr(sb)
        ci_done(sb, pr.head.sha)
        bot_pr = sb.github().get_repo(seed.REPO).get_pull(pr.number)
        with pytest.raises(GithubException) as err:
            bot_pr.merge()
        # Classic protection speaks first, with its own words.
        assert err.value.status == 405
        assert (
            err.value.data["message"]
            == "At least 1 approving review is required by reviewers with write access."
        )
        sb.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
            event="APPROVE"
        )
        assert sb.github().get_repo(seed.REPO).get_pull(pr.number).mergeable_state == "blocked"
        with pytest.raises(GithubException) as err:
            bot_pr.merge()
        # Classic is satisfied; the ruleset still needs a second approval, in the rulesets' format.
        assert err.value.data["message"] == (
            "Repository rule violations found\n\n"
            "At least 2 approving reviews are required by reviewers with write access.\n\n"
        )
        sb.github(seed.REVIEWER_2_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
            event="APPROVE"
        )
        assert bot_pr.merge().merged is True


def test_direct_pushes_to_a_ruleset_branch_are_refused(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    spec = seed.repo_spec(s)
    spec["protection"] = []
    spec["rulesets"] = [HOTFIX_RULESET]
    with make_sandbox(s) as sb:
        repo = sb.github().get_repo(seed.REPO)
        main = repo.get_branch("main").commit.sha
        ref = repo.create_git_ref("refs/heads/prod/hotfix/push", main)
        develop = repo.get_branch("develop").commit.sha
        with pytest.raises(GithubException) as err:
            ref.edit(develop)
        assert err.value.status == 422


def test_an_admin_pushes_past_classic_protection_unless_it_binds_admins(make_sandbox: MakeSandbox) -> None:
    # GitHub's "Do not allow bypassing the above settings" (enforce_admins) is off by default.
    s = seed.default_seed()
    with make_sandbox(s) as sb:
        sb.github().get_repo(seed.REPO).create_git_ref("refs/heads/prod/hotfix/push", main_sha(sb))
        with pytest.raises(GithubException) as err:
            push_fix(sb, seed.DEV_TOKEN, "prod/hotfix/push")
        assert err.value.status == 409
        pushed = push_fix(sb, seed.ADMIN_TOKEN, "prod/hotfix/push")
        assert sb.github().get_repo(seed.REPO).get_branch("prod/hotfix/push").commit.sha == pushed
    seed.repo_spec(s)["protection"][0]["enforce_admins"] = True
    with make_sandbox(s) as sb:
        sb.github().get_repo(seed.REPO).create_git_ref("refs/heads/prod/hotfix/push", main_sha(sb))
        with pytest.raises(GithubException) as err:
            push_fix(sb, seed.ADMIN_TOKEN, "prod/hotfix/push")
        assert err.value.status == 409


def main_sha(sb: SandboxHandle) -> str:
    return str(sb.github().get_repo(seed.REPO).get_branch("main").commit.sha)


def test_a_running_sandbox_takes_new_rules(sandbox: SandboxHandle) -> None:
    changed = sandbox.configure_repo(seed.REPO, rulesets=[HOTFIX_RULESET], actions_permissions={"x": 1})
    assert [rs["name"] for rs in changed["rulesets"]] == ["prod hotfixes"]
    assert [r["type"] for r in get(sandbox, "/rules/branches/prod/hotfix/later")][:1] == ["pull_request"]
    with pytest.raises(httpx.HTTPStatusError):
        sandbox.configure_repo(seed.REPO, no_such_setting=True)
    pr = open_hotfix_pr(sandbox)
    sandbox.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
        event="APPROVE"
    )
    ci_done(sandbox, pr.head.sha)
    with pytest.raises(GithubException) as err:
        sandbox.github().get_repo(seed.REPO).get_pull(pr.number).merge()
    assert err.value.data["message"].startswith(
        "Repository rule violations found\n\nAt least 2 approving reviews"
    )
