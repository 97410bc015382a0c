"""Preflight against the sandbox: what a repository needs before a hotfix can run."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.github import errors
from activities.preflight import glob_match
from hotfix.models import (
    PreflightInput,
    ProcessSettings,
)
from tests.activities.conftest import (
    PROD,
    Activities,
)
from tests.activities.helpers import (
    DEV_TOKEN,
    REPO,
    client_for,
    run,
)


def test_glob_match_follows_github_branch_patterns() -> None:
    assert glob_match("prod/hotfix/*", PROD)
    assert not glob_match("prod/hotfix/*", "prod/hotfix/a/b")
    assert glob_match("prod/**", "prod/hotfix/a/b")
    assert not glob_match("main", PROD)


def test_preflight_passes_on_the_seeded_repository(acts: Activities, sandbox: Any) -> None:
    sandbox.clear_requests()
    result = run(
        acts.preflight, PreflightInput(repository=REPO, settings=ProcessSettings(), prod_branch=PROD)
    )
    outcomes = {c.name: c.outcome for c in result.checks}
    assert result.default_branch == "develop"
    assert "fail" not in outcomes.values(), result.checks
    assert outcomes["deployment branch policy"] == "pass"
    assert outcomes["pull request rule"] == "pass"
    assert result.reviewers == ["prod-reviewer-1", "prod-reviewer-2"]
    assert result.warnings == []
    # No side effects.
    assert {r["method"] for r in sandbox.requests()} == {"GET"}


def test_preflight_fails_when_the_environment_would_refuse_the_prod_branch(acts: Activities) -> None:
    settings = ProcessSettings(prod_branch_prefix="release/hotfix/")
    result = run(
        acts.preflight,
        PreflightInput(repository=REPO, settings=settings, prod_branch="release/hotfix/2024-05-22_x"),
    )
    failed = [c for c in result.checks if c.outcome == "fail"]
    assert [c.name for c in failed] == ["deployment branch policy"]
    assert "release/hotfix/*" in (failed[0].fix or "")
    assert "Deployment branches" in (failed[0].fix or "")
    # Nor is there a PR rule for that pattern: a warning, not a failure.
    assert any("pull request rule" in w for w in result.warnings)


def test_preflight_names_a_missing_environment_and_workflow(acts: Activities) -> None:
    settings = ProcessSettings(environment="staging", deploy_workflow="ship.yml")
    result = run(acts.preflight, PreflightInput(repository=REPO, settings=settings, prod_branch=PROD))
    failed = {c.name: c for c in result.checks if c.outcome == "fail"}
    assert set(failed) == {"environment", "deploy workflow"}
    assert "staging" in failed["environment"].detail
    assert "ship.yml" in failed["deploy workflow"].detail


def test_preflight_on_a_missing_repository_raises_non_retryable(acts: Activities) -> None:
    with pytest.raises(ApplicationError) as caught:
        run(
            acts.preflight,
            PreflightInput(repository="acme/nope", settings=ProcessSettings(), prod_branch=PROD),
        )
    assert caught.value.type == errors.NOT_FOUND
    assert caught.value.non_retryable
    assert "acme/nope" in caught.value.message


RULESET = {
    "name": "hotfix",
    "enforcement": "active",
    "conditions": {"ref_name": {"include": ["refs/heads/prod/hotfix/*"], "exclude": []}},
    "rules": [{"type": "pull_request", "parameters": {"required_approving_review_count": 2}}],
}
CLASSIC = [{"pattern": "prod/hotfix/*", "required_pull_request": True, "required_approving_review_count": 1}]


def _rule_check(acts: Activities) -> tuple[str, str]:
    result = run(
        acts.preflight, PreflightInput(repository=REPO, settings=ProcessSettings(), prod_branch=PROD)
    )
    check = next(c for c in result.checks if c.name == "pull request rule")
    return check.outcome, check.detail


def test_doctor_reads_classic_protection_where_github_shows_it(acts: Activities, sandbox: Any) -> None:
    # The default seed: the runbook's classic rule, seen on an earlier hotfix's prod branch.
    outcome, detail = _rule_check(acts)
    assert outcome == "pass" and "1 approval(s)" in detail and "classic protection" in detail


def test_doctor_reads_rulesets_alone(acts: Activities, sandbox: Any) -> None:
    sandbox.configure_repo(REPO, protection=[], rulesets=[RULESET])
    outcome, detail = _rule_check(acts)
    assert outcome == "pass" and "2 approval(s)" in detail and "ruleset" in detail
    assert "classic" not in detail


def test_doctor_takes_the_strictest_of_both(acts: Activities, sandbox: Any) -> None:
    sandbox.configure_repo(REPO, protection=CLASSIC, rulesets=[RULESET])
    outcome, detail = _rule_check(acts)
    assert outcome == "pass" and "2 approval(s)" in detail
    assert "ruleset" in detail and "classic protection" in detail


def test_doctor_warns_when_no_rule_requires_pull_requests(acts: Activities, sandbox: Any) -> None:
    sandbox.configure_repo(REPO, protection=[], rulesets=[])
    outcome, detail = _rule_check(acts)
    assert outcome == "warn" and detail.startswith("no rule requiring pull requests found for prod/hotfix/*")


def test_doctor_says_what_a_token_without_admin_cannot_read(sandbox: Any) -> None:
    # dev-1 may write but not administer: GitHub hides classic protection's review settings from it.
    outcome, detail = _rule_check(Activities(client_for(sandbox, token=DEV_TOKEN)))
    assert outcome == "warn" and "Administration: read" in detail


def test_doctor_warns_when_our_gate_is_the_only_review_and_actions_may_approve(
    acts: Activities, sandbox: Any
) -> None:
    no_approval = [{**CLASSIC[0], "required_approving_review_count": 0}]
    sandbox.configure_repo(
        REPO, protection=no_approval, actions_permissions={"can_approve_pull_request_reviews": True}
    )
    result = run(
        acts.preflight, PreflightInput(repository=REPO, settings=ProcessSettings(), prod_branch=PROD)
    )
    outcomes = {c.name: c.outcome for c in result.checks}
    assert outcomes["required approvals"] == "warn"
    assert outcomes["actions may approve"] == "warn"
    assert any("only code review" in w for w in result.warnings)
