"""Reviews as protection counts them: commit ids, stale dismissal, last push, who counts, code owners."""

from __future__ import annotations

from typing import Any

import pytest
from github import GithubException

from sandbox import seed
from sandbox.testing import SandboxHandle
from tests.sandbox.conftest import MakeSandbox
from tests.sandbox.helpers import ci_done, open_hotfix_pr, push_fix


def pull(sb: SandboxHandle, number: int, token: str = seed.BOT_TOKEN) -> Any:
    return sb.github(token).get_repo(seed.REPO).get_pull(number)


def merge_refusal(sb: SandboxHandle, number: int) -> str:
    with pytest.raises(GithubException) as err:
        pull(sb, number).merge()
    assert err.value.status == 405
    return str(err.value.data["message"])


def classic(**rule: Any) -> dict[str, Any]:
    s = seed.default_seed()
    seed.repo_spec(s)["protection"] = [
        {"pattern": seed.HOTFIX_PATTERN, "required_approving_review_count": 1, **rule}
    ]
    return s


def test_a_review_on_an_older_commit_keeps_that_commit_id(sandbox: SandboxHandle) -> None:
    pr = open_hotfix_pr(sandbox)
    first = pr.head.sha
    push_fix(sandbox, seed.DEV_TOKEN, "fix/t", text="second\n")
    reviewer = pull(sandbox, pr.number, seed.REVIEWER_1_TOKEN)
    review = reviewer.create_review(commit=reviewer.base.repo.get_commit(first), event="APPROVE")
    assert review.commit_id == first != pull(sandbox, pr.number).head.sha
    # Without stale-review dismissal (GitHub's default) that approval still counts.
    ci_done(sandbox, pull(sandbox, pr.number).head.sha)
    assert pull(sandbox, pr.number).merge().merged is True


def test_a_commit_outside_the_pull_request_is_refused(sandbox: SandboxHandle) -> None:
    pr = open_hotfix_pr(sandbox)
    develop = sandbox.github().get_repo(seed.REPO).get_branch("develop").commit
    with pytest.raises(GithubException) as err:
        pull(sandbox, pr.number, seed.REVIEWER_1_TOKEN).create_review(commit=develop, event="APPROVE")
    assert err.value.status == 422


def test_a_push_dismisses_approvals_when_the_rule_says_so(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(classic(dismiss_stale_reviews=True)) as sb:
        pr = open_hotfix_pr(sb)
        pull(sb, pr.number, seed.REVIEWER_1_TOKEN).create_review(event="APPROVE")
        push_fix(sb, seed.DEV_TOKEN, "fix/t", text="after the approval\n")
        reviews = list(pull(sb, pr.number).get_reviews())
        assert [(r.user.login, r.state) for r in reviews] == [(seed.REVIEWER_1, "DISMISSED")]
        ci_done(sb, pull(sb, pr.number).head.sha)
        assert "At least 1 approving review" in merge_refusal(sb, pr.number)
        # An approval given now, but on the old commit, is stale too.
        old = reviews[0].commit_id
        reviewer = pull(sb, pr.number, seed.REVIEWER_2_TOKEN)
        reviewer.create_review(commit=reviewer.base.repo.get_commit(old), event="APPROVE")
        assert "At least 1 approving review" in merge_refusal(sb, pr.number)
        pull(sb, pr.number, seed.REVIEWER_1_TOKEN).create_review(event="APPROVE")
        assert pull(sb, pr.number).merge().merged is True


def test_the_last_pusher_cannot_approve_the_last_push(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    spec = seed.repo_spec(s)
    spec["protection"] = []
    spec["rulesets"] = [
        {
            "name": "hotfix",
            "conditions": {"ref_name": {"include": ["refs/heads/prod/hotfix/*"]}},
            "rules": [
                {
                    "type": "pull_request",
                    "parameters": {"required_approving_review_count": 1, "require_last_push_approval": True},
                }
            ],
        }
    ]
    with make_sandbox(s) as sb:
        pr = open_hotfix_pr(sb)  # opened by dev-1
        # prod-reviewer-1 pushes the last commit, then approves: GitHub accepts the review ...
        push_fix(sb, seed.REVIEWER_1_TOKEN, "fix/t", text="reviewer's own change\n")
        pull(sb, pr.number, seed.REVIEWER_1_TOKEN).create_review(event="APPROVE")
        ci_done(sb, pull(sb, pr.number).head.sha)
        # ... and does not count it.
        assert merge_refusal(sb, pr.number) == (
            "Repository rule violations found\n\n"
            "At least 1 approving review is required by reviewers with write access.\n\n"
            "New changes require approval from someone other than the last pusher.\n\n"
        )
        pull(sb, pr.number, seed.REVIEWER_2_TOKEN).create_review(event="APPROVE")
        assert pull(sb, pr.number).merge().merged is True


def test_only_distinct_approvers_with_write_access_count(make_sandbox: MakeSandbox) -> None:
    with make_sandbox(classic(required_approving_review_count=2)) as sb:
        pr = open_hotfix_pr(sb)
        ci_done(sb, pr.head.sha)
        # A read-only user's approval is accepted and shown ...
        assert pull(sb, pr.number, seed.READER_TOKEN).create_review(event="APPROVE").state == "APPROVED"
        # ... one user approving twice is one approval ...
        for _ in range(2):
            pull(sb, pr.number, seed.REVIEWER_1_TOKEN).create_review(event="APPROVE")
        states = [(r.user.login, r.state) for r in pull(sb, pr.number).get_reviews()]
        assert states.count((seed.REVIEWER_1, "APPROVED")) == 2 and (seed.READER, "APPROVED") in states
        assert "At least 2 approving reviews are required" in merge_refusal(sb, pr.number)
        # ... and the author cannot approve at all.
        with pytest.raises(GithubException) as err:
            pull(sb, pr.number, seed.DEV_TOKEN).create_review(event="APPROVE")
        assert err.value.status == 422 and err.value.data["errors"] == [
            "Can not approve your own pull request"
        ]
        pull(sb, pr.number, seed.REVIEWER_2_TOKEN).create_review(event="APPROVE")
        assert pull(sb, pr.number).merge().merged is True


def test_github_actions_may_approve_only_where_the_repository_allows_it(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    with make_sandbox(s) as sb:
        pr = open_hotfix_pr(sb)
        with pytest.raises(GithubException) as err:
            pull(sb, pr.number, seed.ACTIONS_BOT_TOKEN).create_review(event="APPROVE")
        assert err.value.status == 422
        assert err.value.data["errors"] == ["GitHub Actions is not permitted to approve pull requests."]
        comment = pull(sb, pr.number, seed.ACTIONS_BOT_TOKEN).create_review(
            event="COMMENT", body="looks fine"
        )
        assert comment.user.login == seed.ACTIONS_BOT and comment.user.type == "Bot"
    seed.repo_spec(s)["actions_permissions"] = {"can_approve_pull_request_reviews": True}
    with make_sandbox(s) as sb:
        pr = open_hotfix_pr(sb)
        ci_done(sb, pr.head.sha)
        review = pull(sb, pr.number, seed.ACTIONS_BOT_TOKEN).create_review(event="APPROVE")
        assert review.user.type == "Bot"
        # Allowed, GitHub counts it: a workflow alone can satisfy "1 approval".
        assert pull(sb, pr.number).merge().merged is True


def test_code_owners_must_approve_what_they_own(make_sandbox: MakeSandbox) -> None:
    s = classic(require_code_owner_reviews=True)
    s["teams"] = [{"org": seed.OWNER, "slug": "gateway-owners", "members": [seed.REVIEWER_2]}]
    main = seed.repo_spec(s)["branches"][0]
    main["commits"].append(
        {
            "message": "Code owners",
            "author": seed.DEV,
            "files": {
                ".github/CODEOWNERS": "*  @prod-reviewer-1\n/app.py  @acme/gateway-owners\ndocs/  \n",
                "CODEOWNERS": "* @dev-1\n",  # not read: .github/CODEOWNERS comes first
            },
        }
    )
    with make_sandbox(s) as sb:
        pr = open_hotfix_pr(sb, path="app.py")
        ci_done(sb, pr.head.sha)
        pull(sb, pr.number, seed.REVIEWER_1_TOKEN).create_review(event="APPROVE")
        assert merge_refusal(sb, pr.number) == "Waiting on code owner review from @acme/gateway-owners."
        pull(sb, pr.number, seed.REVIEWER_2_TOKEN).create_review(event="APPROVE")
        assert pull(sb, pr.number).merge().merged is True


def test_code_owners_are_asked_to_review_when_the_pull_request_opens(make_sandbox: MakeSandbox) -> None:
    s = seed.default_seed()
    s["teams"] = [{"org": seed.OWNER, "slug": "gateway-owners", "members": [seed.REVIEWER_2]}]
    seed.repo_spec(s)["branches"][0]["commits"].append(
        {
            "message": "Code owners",
            "author": seed.DEV,
            "files": {".github/CODEOWNERS": "*  @prod-reviewer-1 @dev-1\n/app.py  @acme/gateway-owners\n"},
        }
    )
    with make_sandbox(s) as sb:
        # dev-1 writes the PR, so of the owners of fix.txt only prod-reviewer-1 is asked.
        pr = open_hotfix_pr(sb, author_token=seed.DEV_TOKEN)
        assert [u.login for u in pr.requested_reviewers] == [seed.REVIEWER_1]
        assert [t.slug for t in pr.requested_teams] == []
        owned = open_hotfix_pr(sb, name="app", author_token=seed.DEV_TOKEN, path="app.py")
        assert [t.slug for t in owned.requested_teams] == ["gateway-owners"]
        assert owned.requested_reviewers == []


def test_pull_request_commits_name_their_github_users(sandbox: SandboxHandle) -> None:
    pr = open_hotfix_pr(sandbox)
    repo = sandbox.github().get_repo(seed.REPO)
    # A commit whose author e-mail belongs to nobody on this GitHub.
    stranger = {"name": "Stranger", "email": "stranger@example.com"}
    sandbox.github(seed.DEV_TOKEN).requester.requestJsonAndCheck(
        "PUT",
        f"/repos/{seed.REPO}/contents/other.txt",
        input={"message": "By a stranger", "content": "eA==", "branch": "fix/t", "author": stranger},
    )
    _, commits = repo._requester.requestJsonAndCheck("GET", f"/repos/{seed.REPO}/pulls/{pr.number}/commits")
    first, second = commits
    assert (first["author"]["login"], first["author"]["type"]) == (seed.DEV, "User")
    assert first["committer"]["login"] == seed.DEV
    assert second["author"] is None and second["committer"]["login"] == seed.DEV
