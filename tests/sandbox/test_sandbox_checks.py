"""Checks as GitHub reports them (issue #8): each names its app, suites come first, reporters matter."""

from __future__ import annotations

import time
from typing import Any

import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import ci_done, open_hotfix_pr, push_fix, wait_for


def api(sb: SandboxHandle, path: str, token: str = seed.BOT_TOKEN, method: str = "GET", **kw: Any) -> Any:
    return sb.github(token).requester.requestJsonAndCheck(method, f"/repos/{seed.REPO}{path}", **kw)[1]


def ci_seed(checks: list[dict[str, Any]], **rule: Any) -> dict[str, Any]:
    s = seed.default_seed()
    spec = seed.repo_spec(s)
    spec["ci"] = {"checks": checks}
    if rule:
        spec["protection"] = [{"pattern": seed.HOTFIX_PATTERN, "required_approving_review_count": 1, **rule}]
    return s


def test_check_runs_name_github_actions(sandbox: SandboxHandle) -> None:
    repo = sandbox.github().get_repo(seed.REPO)
    run = next(iter(repo.get_commit("main").get_check_runs()))
    assert (run.name, run.conclusion) == ("ci", "success")
    assert (run.app.slug, run.app.id, run.app.name, run.raw_data["app"]["owner"]["login"]) == (
        "github-actions",
        seed.ACTIONS_APP_ID,
        "GitHub Actions",
        "github",
    )


def test_a_push_queues_a_suite_and_its_runs_come_later(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(seed.default_seed(), ci_start_seconds=0.6, ci_seconds=0.3) as sb:
        repo = sb.github().get_repo(seed.REPO)
        repo.create_git_ref("refs/heads/fix/suite", repo.get_branch("main").commit.sha)
        sha = push_fix(sb, seed.DEV_TOKEN, "fix/suite")
        suites = api(sb, f"/commits/{sha}/check-suites")
        assert suites["total_count"] == 1
        suite = suites["check_suites"][0]
        assert (suite["status"], suite["conclusion"], suite["latest_check_runs_count"]) == ("queued", None, 0)
        assert suite["app"]["slug"] == "github-actions" and suite["head_branch"] == "fix/suite"
        assert repo.get_commit(sha).get_check_runs().totalCount == 0
        started = wait_for(lambda: list(repo.get_commit(sha).get_check_runs()), "ci starts")
        assert started[0].status in ("in_progress", "completed")
        ci_done(sb, sha)
        done = api(sb, f"/check-suites/{suite['id']}")
        assert (done["status"], done["conclusion"], done["latest_check_runs_count"]) == (
            "completed",
            "success",
            1,
        )


def test_seeded_ci_checks_start_late_and_may_fail(make_sandbox: MakeSandbox) -> None:
    checks: list[dict[str, Any]] = [
        {"name": "ci/test", "start_after": 0.5},
        {"name": "lint", "conclusion": "failure"},
    ]
    with make_sandbox(ci_seed(checks)) as sb:
        repo = sb.github().get_repo(seed.REPO)
        repo.create_git_ref("refs/heads/fix/late", repo.get_branch("main").commit.sha)
        sha = push_fix(sb, seed.DEV_TOKEN, "fix/late")
        wait_for(lambda: any(r.name == "lint" for r in repo.get_commit(sha).get_check_runs()), "lint starts")
        assert [r.name for r in repo.get_commit(sha).get_check_runs()] == ["lint"]
        ci_done(sb, sha, ("ci/test", "lint"))
        conclusions = {r.name: r.conclusion for r in repo.get_commit(sha).get_check_runs()}
        assert conclusions == {"ci/test": "success", "lint": "failure"}
        assert api(sb, f"/commits/{sha}/check-suites")["check_suites"][0]["conclusion"] == "failure"


def test_only_apps_write_check_runs_and_each_its_own(sandbox: SandboxHandle) -> None:
    sha = sandbox.github().get_repo(seed.REPO).get_branch("main").commit.sha
    other = sandbox.github(seed.OTHER_CI_TOKEN).get_repo(seed.REPO)
    run = other.create_check_run("ci", sha, status="completed", conclusion="success")
    assert (run.app.slug, run.app.id) == (seed.OTHER_CI_APP, seed.OTHER_CI_APP_ID)
    with pytest.raises(GithubException) as err:
        sandbox.github(seed.DEV_TOKEN).get_repo(seed.REPO).create_check_run("ci", sha)
    assert (err.value.status, err.value.data["message"]) == (403, "You must authenticate via a GitHub App.")
    with pytest.raises(GithubException) as err:
        api(
            sandbox, f"/check-runs/{run.id}", seed.ACTIONS_BOT_TOKEN, "PATCH", input={"conclusion": "failure"}
        )
    assert err.value.status == 403
    # Both apps' `ci` runs are listed, each in its own suite.
    apps = sorted(r.app.slug for r in sandbox.github().get_repo(seed.REPO).get_commit(sha).get_check_runs())
    assert apps == ["github-actions", seed.OTHER_CI_APP]
    suites = api(sandbox, f"/commits/{sha}/check-suites?app_id={seed.OTHER_CI_APP_ID}")["check_suites"]
    assert [s["app"]["slug"] for s in suites] == [seed.OTHER_CI_APP]


def test_a_required_check_from_another_reporter_does_not_count(make_sandbox: MakeSandbox) -> None:
    required = {"checks": [{"context": "ci/test", "app_id": seed.ACTIONS_APP_ID}]}
    with make_sandbox(
        ci_seed([{"name": "ci/test", "start_after": 0.8}], required_status_checks=required)
    ) as sb:
        admin = sb.github(seed.ADMIN_TOKEN).get_repo(seed.REPO)
        pr = open_hotfix_pr(sb)
        protection = admin.get_branch("prod/hotfix/t").get_protection()
        assert protection.raw_data["required_status_checks"]["checks"] == [
            {"context": "ci/test", "app_id": seed.ACTIONS_APP_ID}
        ]
        sb.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
            event="APPROVE"
        )
        # Right name, wrong reporters: another app's check run, and a user's commit status.
        other = sb.github(seed.OTHER_CI_TOKEN).get_repo(seed.REPO)
        other.create_check_run("ci/test", pr.head.sha, status="completed", conclusion="success")
        sb.github(seed.DEV_TOKEN).get_repo(seed.REPO).get_commit(pr.head.sha).create_status(
            "success", context="ci/test"
        )
        bot_pr = sb.github().get_repo(seed.REPO).get_pull(pr.number)
        with pytest.raises(GithubException) as err:
            bot_pr.merge()
        assert (err.value.status, err.value.data["message"]) == (
            405,
            'Required status check "ci/test" is expected.',
        )
        ci_done(sb, pr.head.sha, ("ci/test",))
        assert bot_pr.merge().merged is True


def test_a_ruleset_check_names_its_integration(make_sandbox: MakeSandbox) -> None:
    s = ci_seed([{"name": "ci", "conclusion": "failure"}])
    spec = seed.repo_spec(s)
    spec["rulesets"] = [
        {
            "name": "checks",
            "conditions": {"ref_name": {"include": ["refs/heads/prod/hotfix/*"]}},
            "rules": [
                {
                    "type": "required_status_checks",
                    "parameters": {"required_status_checks": [{"context": "ci", "integration_id": 4242}]},
                }
            ],
        }
    ]
    with make_sandbox(s) as sb:
        pr = open_hotfix_pr(sb)
        sb.github(seed.REVIEWER_1_TOKEN).get_repo(seed.REPO).get_pull(pr.number).create_review(
            event="APPROVE"
        )
        ci_done(sb, pr.head.sha)  # GitHub Actions' `ci` fails, but the ruleset wants other-ci's
        bot_pr = sb.github().get_repo(seed.REPO).get_pull(pr.number)
        with pytest.raises(GithubException) as err:
            bot_pr.merge()
        assert err.value.data["message"] == (
            'Repository rule violations found\n\nRequired status check "ci" is expected.\n\n'
        )
        run = (
            sb.github(seed.OTHER_CI_TOKEN)
            .get_repo(seed.REPO)
            .create_check_run("ci", pr.head.sha, status="in_progress")
        )
        time.sleep(0.05)
        with pytest.raises(GithubException):
            bot_pr.merge()
        run.edit(conclusion="success")
        assert bot_pr.merge().merged is True
