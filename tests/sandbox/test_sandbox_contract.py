"""The contract check itself must refuse what GitHub's description refuses."""

from __future__ import annotations

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
