"""Opening, merging and commenting on pull requests against the sandbox, each idempotent."""

from __future__ import annotations

from typing import Any

from hotfix.models import (
    CommentInput,
    MergeInput,
)
from tests.activities.conftest import (
    PROD,
    WORK,
    Activities,
    dev_repo,
    head,
    open_hotfix_pr,
    work_with_a_pick,
)
from tests.activities.helpers import (
    REPO,
    REVIEWER_1_TOKEN,
    count,
    run,
)


def test_open_pull_request_is_idempotent(acts: Activities, sandbox: Any) -> None:
    work_with_a_pick(acts, sandbox)
    first = open_hotfix_pr(acts)
    again = open_hotfix_pr(acts)
    assert first.created and not again.created
    assert (again.number, again.url) == (first.number, first.url)
    assert count(sandbox, "POST", r"/repos/acme/gaia-gateway/pulls") == 1


def test_open_pull_request_after_a_lost_answer_finds_the_pull_request(acts: Activities, sandbox: Any) -> None:
    work_with_a_pick(acts, sandbox)
    # The first attempt's PR was made, but the look-before-create of the retry sees an empty list.
    made = dev_repo(sandbox).create_pull(base=PROD, head=WORK, title="made by the lost attempt", body="")
    sandbox.add_fault("GET", r"/repos/acme/gaia-gateway/pulls", status=200, body=[])
    again = open_hotfix_pr(acts)
    assert (again.number, again.created) == (made.number, False)


def test_merge_waits_for_approval_refuses_a_moved_head_and_is_idempotent(
    acts: Activities, sandbox: Any
) -> None:
    work_with_a_pick(acts, sandbox)
    pr = open_hotfix_pr(acts)
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


def test_comment_retry_finds_its_earlier_post(acts: Activities, sandbox: Any) -> None:
    work_with_a_pick(acts, sandbox)
    pr = open_hotfix_pr(acts)
    arg = CommentInput(repository=REPO, number=pr.number, body="Reminder: waiting for a review")
    first = run(acts.comment, arg)
    again = run(acts.comment, arg, attempt=2)
    assert again.comment_id == first.comment_id
    assert count(sandbox, "POST", rf"/repos/acme/gaia-gateway/issues/{pr.number}/comments") == 1


def test_merge_falls_back_to_the_methods_the_repository_allows(acts: Activities, sandbox: Any) -> None:
    # Only rebase merges: GitHub answers 405 "Merge commits are not allowed on this repository." and
    # "Squash merges are not allowed ..." first; the refusal that matters is the one after them.
    sandbox.configure_repo(REPO, merge_methods={"allow_merge_commit": False, "allow_squash_merge": False})
    work_with_a_pick(acts, sandbox)
    pr = open_hotfix_pr(acts)
    sha = head(sandbox, WORK)
    refused = run(acts.merge_pull_request, MergeInput(repository=REPO, number=pr.number, sha=sha, title="t"))
    assert not refused.merged and "approving review" in refused.message
    sandbox.github(token=REVIEWER_1_TOKEN).get_repo(REPO).get_pull(pr.number).create_review(event="APPROVE")
    merged = run(acts.merge_pull_request, MergeInput(repository=REPO, number=pr.number, sha=sha, title="t"))
    assert merged.merged and merged.sha == head(sandbox, PROD)
    answers = [
        r["status"]
        for r in sandbox.requests()
        if r["method"] == "PUT" and r["path"].endswith(f"/pulls/{pr.number}/merge")
    ]
    # Refused: merge, squash (not allowed), rebase (no approval); then merge, squash, rebase merged.
    assert answers == [405, 405, 405, 405, 405, 200]
