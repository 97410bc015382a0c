"""The contract check itself must refuse what GitHub's description refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle, running_sandbox
from tests.sandbox.contract import contract

REF = "/repos/acme/gaia-gateway/git/ref/heads/prod/hotfix/x"
GOOD_REF = {
    "ref": "refs/heads/prod/hotfix/x",
    "node_id": "UmVm",
    "url": "http://127.0.0.1:1/api/v3/repos/acme/gaia-gateway/git/refs/heads/prod/hotfix/x",
    "object": {"type": "commit", "sha": "a" * 40, "url": "http://127.0.0.1:1/api/v3/x"},
}


def test_multi_segment_parameters_find_their_operation() -> None:
    c = contract()
    assert c.operation("GET", REF).template == "/repos/{owner}/{repo}/git/ref/{ref}"  # type: ignore[union-attr]
    op = c.operation("GET", "/repos/a/b/branches/prod/hotfix/x/protection")
    assert op is not None and op.template == "/repos/{owner}/{repo}/branches/{branch}/protection"
    assert c.operation("GET", "/repos/a/b/compare/main...prod/hotfix/x").template.endswith("{basehead}")  # type: ignore[union-attr]


def test_a_good_body_passes() -> None:
    assert contract().check("GET", REF, 200, GOOD_REF) == []


def test_a_wrong_body_is_rejected() -> None:
    wrong = {**GOOD_REF, "object": {"type": "commit", "sha": 42}}
    problems = contract().check("GET", REF, 200, wrong)
    assert problems and any("object" in p for p in problems)
    assert contract().check("GET", REF, 200, {"ref": "refs/heads/x"})  # required fields missing


def test_an_undocumented_status_is_rejected() -> None:
    problems = contract().check("PUT", "/repos/a/b/pulls/1/merge", 418, {"message": "teapot"})
    assert problems and "not documented" in problems[0]
    assert (
        contract().check("PUT", "/repos/a/b/pulls/1/merge", 405, {"message": "Pull Request is not mergeable"})
        == []
    )


def test_a_body_where_none_is_documented_is_rejected() -> None:
    assert contract().check("DELETE", REF.replace("/ref/", "/refs/"), 204, {"oops": 1})


def test_every_answer_of_the_shared_fixture_is_checked(sandbox: SandboxHandle) -> None:
    sandbox.github().get_repo(seed.REPO).get_branch("main")
    assert sandbox.contract_violations() == []
    assert sandbox.contract_checked >= 2  # the repository and the branch


def test_violations_are_collected_in_the_background(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []

    def validate(method: str, path: str, status: int, body: Any) -> list[str]:
        seen.append((path, status))
        return [f"{method} {path}: made-up problem"] if path == "/rate_limit" else []

    with running_sandbox(tmp_path / "state", validate=validate) as sb:
        gh = sb.github()
        gh.get_rate_limit()
        sb.add_fault("GET", "/meta", status=502)
        with pytest.raises(GithubException):
            gh.requester.requestJsonAndCheck("GET", "/meta")
        with pytest.raises(GithubException):
            gh.get_repo(seed.REPO).get_branch("no-such-branch")
        problems = sb.contract_violations()
    assert problems == ["GET /rate_limit: made-up problem"]
    # The sandbox's own 404 is checked too; injected faults are not the sandbox's answers.
    assert ("/repos/acme/gaia-gateway/branches/no-such-branch", 404) in seen
    assert not any(path == "/meta" for path, _ in seen)
