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
    REPO,
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
