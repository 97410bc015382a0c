"""report_conflict against the sandbox: where a PR conflicts, said once, however often retried."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from activities.github.client import GitHubClient
from hotfix.models import ConflictInput
from tests.activities.conftest import Activities, dev_repo
from tests.activities.helpers import REPO, count, run


def edit(repo: Any, branch: str, path: str, text: str) -> None:
    current = repo.get_contents(path, ref=branch)
    repo.update_file(path, f"{branch}: {path}", text, current.sha, branch=branch)


def conflicting_pr(sandbox: Any) -> int:
    """side -> target: README.md changed differently on both, VERSION alike on both, app.py on one."""
    repo = dev_repo(sandbox)
    sha = repo.get_branch("main").commit.sha
    for branch in ("target", "side"):
        repo.create_git_ref(f"refs/heads/{branch}", sha)
        edit(repo, branch, "README.md", f"# {branch}\n")
        edit(repo, branch, "VERSION", "9.9.9\n")
    edit(repo, "side", "app.py", "# only the side\n")
    return int(repo.create_pull(base="target", head="side", title="Side").number)


def test_the_conflict_is_reported_once_with_the_files_both_sides_changed_differently(
    client: GitHubClient, sandbox: Any
) -> None:
    acts = Activities(client, request_limit=timedelta(seconds=0.5))
    number = conflicting_pr(sandbox)
    given = ConflictInput(
        repository=REPO, number=number, base="target", head="side", requester="prod-reviewer-1"
    )
    first = run(acts.report_conflict, given)
    # A retry (its first answer lost) finds the comment, the label and the review request made.
    again = run(acts.report_conflict, given, attempt=2)
    assert first.files == again.files == ["README.md"]
    assert first.comment_id == again.comment_id and first.labelled and first.reviewer_requested
    pr = dev_repo(sandbox).get_pull(number)
    comments = [c.body for c in pr.get_issue_comments()]
    assert len(comments) == 1 and "- `README.md`" in comments[0] and "@prod-reviewer-1" in comments[0]
    assert "VERSION" not in comments[0] and "app.py" not in comments[0]
    assert [(label.name, label.color) for label in pr.labels] == [("hotfix-conflict", "d73a4a")]
    assert [user.login for user in pr.requested_reviewers] == ["prod-reviewer-1"]
    assert count(sandbox, "POST", rf"/repos/{REPO}/issues/{number}/comments") == 1


def test_a_refused_review_request_is_not_fatal(client: GitHubClient, sandbox: Any) -> None:
    """The PR's own author cannot be asked to review (422): the report still stands."""
    acts = Activities(client, request_limit=timedelta(seconds=0.5))
    number = conflicting_pr(sandbox)
    given = ConflictInput(repository=REPO, number=number, base="target", head="side", requester="dev-1")
    report = run(acts.report_conflict, given)
    assert report.files == ["README.md"] and report.labelled and not report.reviewer_requested
