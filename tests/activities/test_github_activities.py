"""The real GitHub activities against the sandbox GitHub: happy paths, idempotency, errors."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from github import InputGitTreeElement
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.client import GitHubClient
from activities.github import TEMP_BRANCH_PREFIX, GitHubActivities, glob_match
from hotfix.models import (
    CherryPickInput,
    CleanupInput,
    CommentInput,
    CompareInput,
    CreateBranchInput,
    DispatchInput,
    FindBaseInput,
    MergeInput,
    OpenPullRequestInput,
    PreflightInput,
    ProcessSettings,
    RunInput,
)
from tests.activities.helpers import (
    BOT_TOKEN,
    DEV_TOKEN,
    REPO,
    REVIEWER_1_TOKEN,
    client_for,
    count,
    run,
)

PROD = "prod/hotfix/2024-05-22_fix-login"
WORK = "hotfix/2024-05-22_fix-login"


@pytest.fixture
def client(sandbox: Any) -> GitHubClient:
    return client_for(sandbox)


@pytest.fixture
def acts(client: GitHubClient) -> GitHubActivities:
    return GitHubActivities(client, dispatch_lookup_attempts=10, dispatch_lookup_interval=0.05)


def dev_repo(sandbox: Any) -> Any:
    return sandbox.github(token=DEV_TOKEN).get_repo(REPO)


def head(sandbox: Any, branch: str) -> str:
    return str(dev_repo(sandbox).get_git_ref(f"heads/{branch}").object.sha)


def develop_commits(sandbox: Any) -> dict[str, str]:
    """Message -> sha of the seeded develop history."""
    return {c.commit.message.splitlines()[0]: c.sha for c in dev_repo(sandbox).get_commits(sha="develop")}


def branches(acts: GitHubActivities, sandbox: Any, *names: str) -> str:
    base = head(sandbox, "main")
    for name in names:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=name, sha=base))
    return base


def file_text(sandbox: Any, path: str, ref: str) -> str | None:
    repo = dev_repo(sandbox)
    tree = repo.get_git_tree(repo.get_git_commit(head(sandbox, ref)).tree.sha, recursive=True)
    for entry in tree.tree:
        if entry.path == path:
            blob = repo.get_git_blob(entry.sha)
            return base64.b64decode(blob.content).decode() if blob.encoding == "base64" else str(blob.content)
    return None


# -------------------------------------------------------------------------------------------------
# Preflight
# -------------------------------------------------------------------------------------------------


def test_glob_match_follows_github_branch_patterns() -> None:
    assert glob_match("prod/hotfix/*", PROD)
    assert not glob_match("prod/hotfix/*", "prod/hotfix/a/b")
    assert glob_match("prod/**", "prod/hotfix/a/b")
    assert not glob_match("main", PROD)


def test_preflight_passes_on_the_seeded_repository(acts: GitHubActivities, sandbox: Any) -> None:
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


def test_preflight_fails_when_the_environment_would_refuse_the_prod_branch(acts: GitHubActivities) -> None:
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


def test_preflight_names_a_missing_environment_and_workflow(acts: GitHubActivities) -> None:
    settings = ProcessSettings(environment="staging", deploy_workflow="ship.yml")
    result = run(acts.preflight, PreflightInput(repository=REPO, settings=settings, prod_branch=PROD))
    failed = {c.name: c for c in result.checks if c.outcome == "fail"}
    assert set(failed) == {"environment", "deploy workflow"}
    assert "staging" in failed["environment"].detail
    assert "ship.yml" in failed["deploy workflow"].detail


def test_preflight_on_a_missing_repository_raises_non_retryable(acts: GitHubActivities) -> None:
    with pytest.raises(ApplicationError) as caught:
        run(
            acts.preflight,
            PreflightInput(repository="acme/nope", settings=ProcessSettings(), prod_branch=PROD),
        )
    assert caught.value.type == errors.NOT_FOUND
    assert caught.value.non_retryable
    assert "acme/nope" in caught.value.message


# -------------------------------------------------------------------------------------------------
# Base and branches
# -------------------------------------------------------------------------------------------------


def test_find_base_prefers_the_last_successful_deployment(acts: GitHubActivities, sandbox: Any) -> None:
    base = run(acts.find_base, FindBaseInput(repository=REPO, environment="prod", main_branch="main"))
    assert (base.source, base.ref, base.sha) == ("deployment", "main", head(sandbox, "main"))


def test_find_base_explicit_ref_and_main_fallback(acts: GitHubActivities, sandbox: Any) -> None:
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


def test_create_branch_is_idempotent(acts: GitHubActivities, sandbox: Any) -> None:
    sha = head(sandbox, "main")
    first = run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    again = run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    assert (first.created, again.created) == (True, False)
    assert head(sandbox, PROD) == sha
    with pytest.raises(ApplicationError) as caught:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=head(sandbox, "develop")))
    assert caught.value.type == errors.CONFLICT and caught.value.non_retryable
    assert PROD in caught.value.message


# -------------------------------------------------------------------------------------------------
# Cherry-picks
# -------------------------------------------------------------------------------------------------


def test_cherry_pick_clean_then_idempotent(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK)
    picks = develop_commits(sandbox)
    wanted = [picks["Start feature X"]]
    first = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=wanted))
    assert first.applied == wanted and first.conflict_sha is None
    assert first.head_sha == head(sandbox, WORK)
    assert file_text(sandbox, "feature_x.py", WORK) == "X = 1\n"
    commits_made = count(sandbox, "POST", r"/repos/acme/gaia-gateway/git/commits")

    again = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=wanted))
    assert again.applied == wanted
    assert again.head_sha == first.head_sha
    assert count(sandbox, "POST", r"/repos/acme/gaia-gateway/git/commits") == commits_made
    assert not [b.name for b in dev_repo(sandbox).get_branches() if b.name.startswith(TEMP_BRANCH_PREFIX)]


def test_cherry_pick_of_a_change_already_there_is_skipped_as_empty(
    acts: GitHubActivities, sandbox: Any
) -> None:
    branches(acts, sandbox, WORK)
    picks = develop_commits(sandbox)
    # Release 1.0 is in main's history already; Start feature X twice in one list is empty the second time.
    main_commit = dev_repo(sandbox).get_commits(sha="main")[0].sha
    result = run(
        acts.cherry_pick,
        CherryPickInput(repository=REPO, branch=WORK, shas=[main_commit, picks["Start feature X"]]),
    )
    assert result.skipped_empty == [main_commit]
    assert result.applied == [picks["Start feature X"]]
    # A commit making the same change as one already picked: the merge changes nothing.
    repo = dev_repo(sandbox)
    base = repo.get_git_commit(head(sandbox, "main"))
    tree = repo.create_git_tree(
        [InputGitTreeElement("feature_x.py", "100644", "blob", content="X = 1\n")], base_tree=base.tree
    )
    same = repo.create_git_commit("Same change as feature X", tree, [base])
    result = run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[same.sha]))
    assert result.skipped_empty == [same.sha] and result.applied == []


def test_cherry_pick_conflict_is_reported_not_raised(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK)
    before = head(sandbox, WORK)
    picks = develop_commits(sandbox)
    # "Work in progress on X" changes feature_x.py, which main does not have: a modify/delete conflict.
    wip = picks["Work in progress on X"]
    result = run(
        acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[wip, picks["Bump version"]])
    )
    assert result.conflict_sha == wip
    assert result.conflict_files == ["feature_x.py"]
    assert result.applied == []
    assert result.head_sha == before == head(sandbox, WORK)
    assert not [b.name for b in dev_repo(sandbox).get_branches() if b.name.startswith(TEMP_BRANCH_PREFIX)]


# -------------------------------------------------------------------------------------------------
# Compare, pull requests, merge
# -------------------------------------------------------------------------------------------------


def test_compare(acts: GitHubActivities, sandbox: Any) -> None:
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


def _work_with_a_pick(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK, PROD)
    pick = develop_commits(sandbox)["Start feature X"]
    run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[pick]))


def _open(acts: GitHubActivities) -> Any:
    return run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix: fix login", body="body"),
    )


def test_open_pull_request_is_idempotent(acts: GitHubActivities, sandbox: Any) -> None:
    _work_with_a_pick(acts, sandbox)
    first = _open(acts)
    again = _open(acts)
    assert first.created and not again.created
    assert (again.number, again.url) == (first.number, first.url)
    assert count(sandbox, "POST", r"/repos/acme/gaia-gateway/pulls") == 1


def test_open_pull_request_after_a_lost_answer_finds_the_pull_request(
    acts: GitHubActivities, sandbox: Any
) -> None:
    _work_with_a_pick(acts, sandbox)
    # The first attempt's PR was made, but the look-before-create of the retry sees an empty list.
    made = dev_repo(sandbox).create_pull(base=PROD, head=WORK, title="made by the lost attempt", body="")
    sandbox.add_fault("GET", r"/repos/acme/gaia-gateway/pulls", status=200, body=[])
    again = _open(acts)
    assert (again.number, again.created) == (made.number, False)


def test_merge_waits_for_approval_refuses_a_moved_head_and_is_idempotent(
    acts: GitHubActivities, sandbox: Any
) -> None:
    _work_with_a_pick(acts, sandbox)
    pr = _open(acts)
    sha = head(sandbox, WORK)
    refused = run(acts.merge_pull_request, MergeInput(repository=REPO, number=pr.number, sha=sha, title="t"))
    assert not refused.merged and refused.message

    sandbox.github(token=REVIEWER_1_TOKEN).get_repo(REPO).get_pull(pr.number).create_review(event="APPROVE")
    moved = run(
        acts.merge_pull_request,
        MergeInput(repository=REPO, number=pr.number, sha=head(sandbox, "main"), title="t"),
    )
    assert not moved.merged and moved.message

    merged = run(acts.merge_pull_request, MergeInput(repository=REPO, number=pr.number, sha=sha, title="t"))
    assert merged.merged and merged.sha == head(sandbox, PROD)
    puts = count(sandbox, "PUT", rf"/repos/acme/gaia-gateway/pulls/{pr.number}/merge")
    again = run(acts.merge_pull_request, MergeInput(repository=REPO, number=pr.number, sha=sha, title="t"))
    assert again.merged and again.sha == merged.sha
    assert count(sandbox, "PUT", rf"/repos/acme/gaia-gateway/pulls/{pr.number}/merge") == puts


# -------------------------------------------------------------------------------------------------
# Deploy
# -------------------------------------------------------------------------------------------------

SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
# PyGithub dispatches to the workflow's URL, which holds its numeric id.
DISPATCH = r"/repos/acme/gaia-gateway/actions/workflows/[^/]+/dispatches"


def _runs_on(sandbox: Any, branch: str) -> list[Any]:
    workflow = sandbox.github(token=DEV_TOKEN).get_repo(REPO).get_workflow("deploy.yml")
    return [r for r in workflow.get_runs(branch=branch) if r.head_branch == branch]


def _dispatch_input(not_before: datetime | None = None) -> DispatchInput:
    return DispatchInput(
        repository=REPO, workflow="deploy.yml", ref=PROD, not_before=not_before or datetime.now(UTC)
    )


def test_dispatch_deploy_makes_exactly_one_run(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    arg = _dispatch_input()
    first = run(acts.dispatch_deploy, arg)
    again = run(acts.dispatch_deploy, arg, attempt=2)
    assert first.created and not again.created
    assert again.run_id == first.run_id
    assert [r.id for r in _runs_on(sandbox, PROD)] == [first.run_id]


def test_dispatch_after_a_dropped_request_makes_exactly_one_run(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    arg = _dispatch_input()
    sandbox.add_fault("POST", DISPATCH, drop=True)
    with pytest.raises(ApplicationError) as caught:
        run(acts.dispatch_deploy, arg)
    assert caught.value.type == errors.UNAVAILABLE and not caught.value.non_retryable
    ref = run(acts.dispatch_deploy, arg, attempt=2)
    assert [r.id for r in _runs_on(sandbox, PROD)] == [ref.run_id]


def test_dispatch_retry_after_a_lost_answer_finds_the_run(acts: GitHubActivities, sandbox: Any) -> None:
    # The sandbox cannot process a request and then lose its answer, so the lost attempt's dispatch
    # is made here directly, as the bot, after `not_before`.
    branches(acts, sandbox, PROD)
    arg = _dispatch_input()
    workflow = sandbox.github(token=BOT_TOKEN).get_repo(REPO).get_workflow("deploy.yml")
    assert workflow.create_dispatch(PROD, inputs={}, throw=True)
    ref = run(acts.dispatch_deploy, arg, attempt=2)
    assert not ref.created
    assert [r.id for r in _runs_on(sandbox, PROD)] == [ref.run_id]
    assert count(sandbox, "POST", DISPATCH) == 1


def test_dispatch_falls_back_when_run_details_are_refused(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    sandbox.add_fault(
        "POST",
        DISPATCH,
        status=400,
        body={"message": 'Invalid request.\n\n"return_run_details" is not a permitted key.'},
    )
    ref = run(acts.dispatch_deploy, _dispatch_input())
    assert ref.created
    assert [r.id for r in _runs_on(sandbox, PROD)] == [ref.run_id]


def test_dispatch_ignores_runs_from_before_not_before(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    old = run(acts.dispatch_deploy, _dispatch_input())
    later = run(acts.dispatch_deploy, _dispatch_input(datetime.now(UTC) + timedelta(hours=1)))
    assert later.created and later.run_id != old.run_id


def _reject_deployment(sandbox: Any, run_id: int) -> None:
    requester = sandbox.github(token=REVIEWER_1_TOKEN).requester
    _, env = requester.requestJsonAndCheck("GET", f"/repos/{REPO}/environments/prod")
    requester.requestJsonAndCheck(
        "POST",
        f"/repos/{REPO}/actions/runs/{run_id}/pending_deployments",
        input={"environment_ids": [env["id"]], "state": "rejected", "comment": "not now"},
    )


def _wait_completed(sandbox: Any, run_id: int) -> Any:
    repo = sandbox.github(token=DEV_TOKEN).get_repo(REPO)
    for _ in range(200):
        found = repo.get_workflow_run(run_id)
        if found.status == "completed":
            return found
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not complete")


def test_rerun_failed_jobs_once(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    ref = run(acts.dispatch_deploy, _dispatch_input())
    not_failed = run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id))
    assert not not_failed.rerun
    _reject_deployment(sandbox, ref.run_id)
    assert _wait_completed(sandbox, ref.run_id).conclusion != "success"
    first = run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id))
    again = run(acts.rerun_failed_jobs, RunInput(repository=REPO, run_id=ref.run_id), attempt=2)
    assert (first.rerun, again.rerun) == (True, False)
    assert (
        count(sandbox, "POST", rf"/repos/acme/gaia-gateway/actions/runs/{ref.run_id}/rerun-failed-jobs") == 1
    )


# -------------------------------------------------------------------------------------------------
# Comments and cleanup
# -------------------------------------------------------------------------------------------------


def test_comment_retry_finds_its_earlier_post(acts: GitHubActivities, sandbox: Any) -> None:
    _work_with_a_pick(acts, sandbox)
    pr = _open(acts)
    arg = CommentInput(repository=REPO, number=pr.number, body="Reminder: waiting for a review")
    first = run(acts.comment, arg)
    again = run(acts.comment, arg, attempt=2)
    assert again.comment_id == first.comment_id
    assert count(sandbox, "POST", rf"/repos/acme/gaia-gateway/issues/{pr.number}/comments") == 1


def test_cleanup_closes_deletes_and_repeats_harmlessly(acts: GitHubActivities, sandbox: Any) -> None:
    _work_with_a_pick(acts, sandbox)
    pr = _open(acts)
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


def test_cleanup_cancels_a_waiting_run_and_skips_what_is_gone(acts: GitHubActivities, sandbox: Any) -> None:
    branches(acts, sandbox, PROD)
    ref = run(acts.dispatch_deploy, _dispatch_input())
    arg = CleanupInput(
        repository=REPO,
        comment="x",
        cancel_run_id=ref.run_id,
        pull_requests=[999],
        branches=["no-such-branch"],
    )
    result = run(acts.cleanup, arg)
    assert _wait_completed(sandbox, ref.run_id).conclusion == "cancelled"
    assert result.closed_pull_requests == [] and result.deleted_branches == ["no-such-branch"]
    assert run(acts.cleanup, arg, attempt=2) == result


# -------------------------------------------------------------------------------------------------
# Errors as a worker would see them
# -------------------------------------------------------------------------------------------------


def test_bad_token_is_non_retryable_and_never_shown(sandbox: Any) -> None:
    token = "ghp_not-a-valid-token-123"
    acts = GitHubActivities(client_for(sandbox, token=token))
    with pytest.raises(ApplicationError) as caught:
        run(acts.find_base, FindBaseInput(repository=REPO, environment="prod", main_branch="main"))
    err = caught.value
    assert err.type == errors.AUTH and err.non_retryable
    assert REPO in err.message and "HOTFIX_GITHUB_TOKEN" in err.message
    assert token not in err.message and token not in repr(err.__cause__) and err.__cause__ is None
    assert BOT_TOKEN not in err.message


def test_502_on_a_write_is_retryable_and_the_retry_succeeds(acts: GitHubActivities, sandbox: Any) -> None:
    sha = head(sandbox, "main")
    sandbox.add_fault(
        "POST", r"/repos/acme/gaia-gateway/git/refs", status=502, body={"message": "Bad Gateway"}
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha))
    assert caught.value.type == errors.UNAVAILABLE and not caught.value.non_retryable
    assert run(
        acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=sha), attempt=2
    ).created


def test_502_on_a_read_is_absorbed_by_the_short_in_process_retry(
    acts: GitHubActivities, sandbox: Any
) -> None:
    sandbox.add_fault(
        "GET", r"/repos/acme/gaia-gateway/compare/.*", status=502, body={"message": "Bad Gateway"}
    )
    assert run(acts.compare, CompareInput(repository=REPO, base="main", head="develop")).ahead_by == 3


def test_secondary_rate_limit_sets_next_retry_delay_from_retry_after(
    acts: GitHubActivities, sandbox: Any
) -> None:
    sandbox.add_fault(
        "POST",
        r"/repos/acme/gaia-gateway/git/refs",
        status=403,
        body={"message": SECONDARY},
        headers={"Retry-After": "30"},
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=PROD, sha=head(sandbox, "main")))
    assert caught.value.type == errors.RATE_LIMITED and not caught.value.non_retryable
    assert caught.value.next_retry_delay == timedelta(seconds=30)


def test_secondary_rate_limit_on_a_read_is_not_slept_in_process(acts: GitHubActivities, sandbox: Any) -> None:
    sandbox.add_fault(
        "GET",
        r"/repos/acme/gaia-gateway/compare/.*",
        status=429,
        body={"message": "You have exceeded a secondary rate limit."},
        headers={"Retry-After": "600"},
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.compare, CompareInput(repository=REPO, base="main", head="develop"))
    assert caught.value.next_retry_delay == timedelta(seconds=600)
    assert count(sandbox, "GET", r"/repos/acme/gaia-gateway/compare/.*") == 1


def test_primary_rate_limit_waits_until_the_reset(acts: GitHubActivities, sandbox: Any) -> None:
    reset = int(time.time()) + 1200
    sandbox.add_fault(
        "GET",
        r"/repos/acme/gaia-gateway/compare/.*",
        status=403,
        body={"message": "API rate limit exceeded for user ID 1."},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset), "X-RateLimit-Limit": "5000"},
    )
    with pytest.raises(ApplicationError) as caught:
        run(acts.compare, CompareInput(repository=REPO, base="main", head="develop"))
    err = caught.value
    assert err.type == errors.RATE_LIMITED and not err.non_retryable
    assert err.next_retry_delay is not None
    assert timedelta(seconds=1100) < err.next_retry_delay <= timedelta(seconds=1201)
