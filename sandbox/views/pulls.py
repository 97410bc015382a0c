"""Pull requests, their reviews, and issue comments (the sandbox's issues are its pull requests)."""

from __future__ import annotations

from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id
from sandbox.views.checks import performed_via
from sandbox.views.labels import of_pull
from sandbox.views.repos import repository
from sandbox.views.users import owner_of, simple_user, team


def pull_request(u: Urls, store: Store, repo: Record, pr: Record, extra: Record | None) -> Record:
    base = u.repo(repo)
    html = f"{u.repo_html(repo)}/pull/{pr['number']}"
    number = pr["number"]
    issue = f"{base}/issues/{number}"
    url = f"{base}/pulls/{number}"

    def side(branch: str, sha: str) -> Record:
        return {
            "label": f"{repo['owner']}:{branch}",
            "ref": branch,
            "sha": sha,
            "user": simple_user(u, owner_of(store, repo)),
            "repo": repository(u, store, repo),
        }

    state_open = pr["state"] == "open"
    out: Record = {
        "url": url,
        "id": pr["id"],
        "node_id": node_id("PullRequest", pr["id"]),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{base}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{base}/statuses/{pr['head_sha']}",
        "number": number,
        "state": pr["state"],
        "locked": False,
        "title": pr["title"],
        "user": simple_user(u, store.user(pr["user"])),
        "body": pr.get("body"),
        "labels": of_pull(u, repo, pr),
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(pr["created_at"]),
        "updated_at": iso(pr["updated_at"]),
        "closed_at": iso(pr.get("closed_at")),
        "merged_at": iso(pr.get("merged_at")),
        "merge_commit_sha": pr.get("merge_commit_sha"),
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [simple_user(u, store.user(r)) for r in pr.get("requested_reviewers", [])],
        "requested_teams": [
            team(u, t)
            for t in (
                store.data.get("teams", {}).get(f"{repo['owner']}/{slug}".lower())
                for slug in pr.get("requested_teams", [])
            )
            if t is not None
        ],
        "head": side(pr["head"], pr["head_sha"]),
        "base": side(pr["base"], pr["base_sha"]),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "issue": {"href": issue},
            "comments": {"href": f"{issue}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": f"{base}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": f"{base}/statuses/{pr['head_sha']}"},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": bool(pr.get("draft", False)),
    }
    if extra is not None:
        out.update(extra)
        out.update(
            {
                "merged": bool(pr.get("merged", False)),
                "merged_by": simple_user(u, store.user(pr["merged_by"])) if pr.get("merged_by") else None,
                "comments": sum(1 for c in repo["comments"] if c["issue"] == number),
                "review_comments": 0,
                "maintainer_can_modify": False,
                "rebaseable": extra.get("mergeable") if state_open else None,
            }
        )
    return out


def review(u: Urls, store: Store, repo: Record, rv: Record) -> Record:
    html = f"{u.repo_html(repo)}/pull/{rv['pull']}#pullrequestreview-{rv['id']}"
    pr_url = f"{u.repo(repo)}/pulls/{rv['pull']}"
    return {
        "id": rv["id"],
        "node_id": node_id("PullRequestReview", rv["id"]),
        "user": simple_user(u, store.user(rv["user"])),
        "body": rv.get("body") or "",
        "state": rv["state"],
        "html_url": html,
        "pull_request_url": pr_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        "submitted_at": iso(rv["submitted_at"]),
        "commit_id": rv["commit_id"],
        "author_association": "MEMBER",
    }


def issue_comment(u: Urls, store: Store, repo: Record, c: Record) -> Record:
    return {
        "id": c["id"],
        "node_id": node_id("IssueComment", c["id"]),
        "url": f"{u.repo(repo)}/issues/comments/{c['id']}",
        "html_url": f"{u.repo_html(repo)}/pull/{c['issue']}#issuecomment-{c['id']}",
        "body": c["body"],
        "user": simple_user(u, store.user(c["user"])),
        "created_at": iso(c["created_at"]),
        "updated_at": iso(c.get("updated_at", c["created_at"])),
        "issue_url": f"{u.repo(repo)}/issues/{c['issue']}",
        "author_association": "MEMBER",
        "performed_via_github_app": performed_via(u, store, c["user"]),
    }
