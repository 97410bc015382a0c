"""Finding the base, cutting branches, comparing and cleaning up, against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.exceptions import ApplicationError

from activities.github import errors
from hotfix.models import (
    CherryPickInput,
    CleanupInput,
    CompareInput,
    CreateBranchInput,
    FindBaseInput,
)
from tests.activities.conftest import (
    PROD,
    WORK,
    Activities,
    branches,
    dev_repo,
    develop_commits,
    dispatch_input,
    head,
    open_hotfix_pr,
    wait_completed,
    work_with_a_pick,
)
from tests.activities.helpers import (
    REPO,
    run,
)


def test_find_base_prefers_the_last_successful_deployment(acts: Activities, sandbox: Any) -> None:
    base = run(acts.find_base, FindBaseInput(repository=REPO, environment="prod", main_branch="main"))
    assert (base.source, base.ref, base.sha) == ("deployment", "main", head(sandbox, "main"))


def test_find_base_explicit_ref_and_main_fallback(acts: Activities, sandbox: Any) -> None:
    explicit = run(
        acts.find_base,
        FindBaseInput(repository=REPO, environment="prod", main_branch="main", base_ref="develop"),
    )
    assert (explicit.source, explicit.ref, explicit.sha) == ("explicit", "develop", head(sandbox, "develop"))
    fallback = run(acts.find_base, FindBaseInput(repository=REPO, environment="staging", main_branch="main"))
    assert (fallback.source, fallback.ref, fallback.sha) == ("main", "main", head(sandbox, "main"))
    with pytest.raises(ApplicationError) as caught:
        run(
            acts.find_base,
            FindBaseInput(repository=REPO, environment="prod", main_branch="main", base_ref="no-such-ref"),
        )
    assert caught.value.non_retryable and "no-such-ref" in caught.value.message


def test_create_branch_is_idempotent(acts: Activities, sandbox: Any) -> None:
    sha = head(sandbox, "main")
    first = run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    again = run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    assert (first.created, again.created) == (True, False)
    assert head(sandbox, PROD) == sha
    with pytest.raises(ApplicationError) as caught:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=head(sandbox, "develop")))
    assert caught.value.type == errors.CONFLICT and caught.value.non_retryable
    assert PROD in caught.value.message


def test_compare(acts: Activities, sandbox: Any) -> None:
    diff = run(acts.compare, CompareInput(repository=REPO, base="main", head="develop"))
    assert (diff.status, diff.ahead_by, diff.behind_by) == ("ahead", 3, 0)
    assert diff.head_sha == head(sandbox, "develop")
    same = run(acts.compare, CompareInput(repository=REPO, base="main", head=head(sandbox, "main")))
    assert (same.status, same.ahead_by) == ("identical", 0)
    # Branch names with slashes, as the workflow passes them.
    base = branches(acts, sandbox, WORK)
    pick = develop_commits(sandbox)["Start feature X"]
    picked = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[pick]))
    work = run(acts.compare, CompareInput(repository=REPO, base=base, head=WORK))
    assert (work.status, work.ahead_by, work.head_sha) == ("ahead", 1, picked.head_sha)


def test_cleanup_closes_deletes_and_repeats_harmlessly(acts: Activities, sandbox: Any) -> None:
    work_with_a_pick(acts, sandbox)
    pr = open_hotfix_pr(acts)
    arg = CleanupInput(
        repository=REPO, pull_requests=[pr.number], branches=[WORK, PROD], comment="Withdrawn: aborted"
    )
    first = run(acts.cleanup, arg)
    assert first.closed_pull_requests == [pr.number] and first.deleted_branches == [WORK, PROD]
    repo = dev_repo(sandbox)
    assert repo.get_pull(pr.number).state == "closed"
    assert [c.body for c in repo.get_pull(pr.number).get_issue_comments()] == ["Withdrawn: aborted"]
    names = {b.name for b in repo.get_branches()}
    assert WORK not in names and PROD not in names
    writes = [r for r in sandbox.requests() if r["method"] != "GET"]
    again = run(acts.cleanup, arg, attempt=2)
    assert again == first
    assert [r for r in sandbox.requests() if r["method"] not in ("GET", "DELETE")] == [
        r for r in writes if r["method"] != "DELETE"
    ]


def test_cleanup_cancels_a_waiting_run_and_skips_what_is_gone(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    ref = run(acts.dispatch_deploy, dispatch_input())
    arg = CleanupInput(
        repository=REPO,
        comment="x",
        cancel_run_id=ref.run_id,
        pull_requests=[999],
        branches=["no-such-branch"],
    )
    result = run(acts.cleanup, arg)
    assert wait_completed(sandbox, ref.run_id).conclusion == "cancelled"
    assert result.closed_pull_requests == [] and result.deleted_branches == ["no-such-branch"]
    assert run(acts.cleanup, arg, attempt=2) == result
