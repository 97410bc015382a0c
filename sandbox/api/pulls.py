"""Pull requests, reviews, merging (a real merge commit), issue comments.

The rules (who may review, when a merge is refused, how it is written) are in `sandbox.models.pulls`.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors
from sandbox.models import pulls
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record
from sandbox.views.commits import commit, diff_entry
from sandbox.views.pulls import issue_comment, pull_request, review

R = "/repos/{owner}/{repo}"


def _get(ctx: Ctx) -> Record:
    return pulls.refresh(ctx.sb, ctx.repo, ctx.find("pulls", "pull_number"))


def _full(ctx: Ctx, pr: Record) -> Record:
    return pull_request(ctx.urls, ctx.store, ctx.repo, pr, pulls.details(ctx.sb, ctx.repo, pr))


def _short(ctx: Ctx, pr: Record) -> Record:
    return pull_request(ctx.urls, ctx.store, ctx.repo, pr, None)


@route("GET", R + "/pulls")
def list_pulls(ctx: Ctx) -> Any:
    return [_short(ctx, pr) for pr in ctx.paginate(pulls.matching(ctx.sb, ctx.repo, ctx.query))]


@route("POST", R + "/pulls")
def create_pull(ctx: Ctx) -> Any:
    title = ctx.field("title", "PullRequest", required=False)
    if title is None and ctx.field("issue", required=False) is None:
        raise errors.missing_field("PullRequest", "title")
    head = pulls.head_branch(ctx.repo, str(ctx.field("head", "PullRequest")))
    base = str(ctx.field("base", "PullRequest"))
    body = ctx.field("body", required=False)
    draft = bool(ctx.field("draft", required=False))
    pr = pulls.open_pull(ctx.sb, ctx.repo, ctx.login, head, base, title, body, draft)
    return ctx.created(_full(ctx, pr), f"/pulls/{pr['number']}")


@route("GET", R + "/pulls/{pull_number}")
def get_pull(ctx: Ctx) -> Any:
    return _full(ctx, _get(ctx))


@route("PATCH", R + "/pulls/{pull_number}")
def update_pull(ctx: Ctx) -> Any:
    pr = _get(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    return _full(ctx, pulls.update(ctx.sb, ctx.repo, pr, body, ctx.login))


@route("GET", R + "/pulls/{pull_number}/commits")
def pull_commits(ctx: Ctx) -> Any:
    found = pulls.commits(ctx.sb, ctx.repo, _get(ctx))
    return [commit(ctx.urls, ctx.store, ctx.repo, c, in_list=True) for c in ctx.paginate(found)]


@route("GET", R + "/pulls/{pull_number}/files")
def pull_files(ctx: Ctx) -> Any:
    pr = _get(ctx)
    found = pulls.files(ctx.sb, ctx.repo, pr)
    return [diff_entry(ctx.urls, ctx.repo, pr["head_sha"], f) for f in ctx.paginate(found)]


@route("POST", R + "/pulls/{pull_number}/requested_reviewers")
def request_reviewers(ctx: Ctx) -> Any:
    pr = _get(ctx)
    pulls.request_reviewers(
        ctx.sb,
        ctx.repo,
        pr,
        list(ctx.field("reviewers", required=False) or []),
        list(ctx.field("team_reviewers", required=False) or []),
    )
    return Reply(201, _short(ctx, pr))


@route("GET", R + "/pulls/{pull_number}/reviews")
def list_reviews(ctx: Ctx) -> Any:
    pr = _get(ctx)
    reviews = sorted(
        (r for r in ctx.repo["reviews"].values() if r["pull"] == pr["number"]), key=lambda r: r["id"]
    )
    return [review(ctx.urls, ctx.store, ctx.repo, r) for r in ctx.paginate(reviews)]


@route("POST", R + "/pulls/{pull_number}/reviews")
def create_review(ctx: Ctx) -> Any:
    pr = _get(ctx)
    event = ctx.field("event", required=False)
    body = ctx.field("body", required=False)
    if event is not None and event not in pulls.EVENTS:
        raise errors.invalid_field("PullRequestReview", "event")
    commit_id = ctx.field("commit_id", required=False)
    added = pulls.add_review(ctx.sb, ctx.repo, pr, ctx.login, event, body, commit_id)
    return review(ctx.urls, ctx.store, ctx.repo, added)


@route("GET", R + "/pulls/{pull_number}/merge")
def check_merged(ctx: Ctx) -> Any:
    if not _get(ctx)["merged"]:
        raise errors.NotFound()
    return Reply(204)


@route("PUT", R + "/pulls/{pull_number}/merge")
def merge_pull(ctx: Ctx) -> Any:
    ctx.require("write")
    pr = _get(ctx)
    sha = pulls.merge(
        ctx.sb,
        ctx.repo,
        pr,
        ctx.user,
        expected_sha=ctx.field("sha", required=False),
        method=ctx.field("merge_method", required=False) or "merge",
        title=ctx.field("commit_title", required=False),
        message=ctx.field("commit_message", required=False),
    )
    return {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}


# -- issue comments (the sandbox's issues are its pull requests)


@route("GET", R + "/issues/{issue_number}/comments")
def list_comments(ctx: Ctx) -> Any:
    number = ctx.find("pulls", "issue_number")["number"]
    comments = [c for c in ctx.repo["comments"] if c["issue"] == number]
    return [issue_comment(ctx.urls, ctx.store, ctx.repo, c) for c in ctx.paginate(comments)]


@route("POST", R + "/issues/{issue_number}/comments")
def create_comment(ctx: Ctx) -> Any:
    pr = ctx.find("pulls", "issue_number")
    comment = {
        "id": ctx.store.new_id(),
        "issue": pr["number"],
        "user": ctx.login,
        "body": str(ctx.field("body", "IssueComment")),
        "created_at": time.time(),
    }
    ctx.repo["comments"].append(comment)
    ctx.store.touch()
    body = issue_comment(ctx.urls, ctx.store, ctx.repo, comment)
    return ctx.created(body, f"/issues/comments/{comment['id']}")


@route("PATCH", R + "/issues/comments/{comment_id}")
def update_comment(ctx: Ctx) -> Any:
    """GitHub lets the author, and anyone with write access, edit a comment; the edit keeps its id."""
    wanted = str(ctx.params["comment_id"])
    comment = next((c for c in ctx.repo["comments"] if str(c["id"]) == wanted), None)
    if comment is None:
        raise errors.NotFound()
    if comment["user"] != ctx.login:
        ctx.require("write")
    comment["body"] = str(ctx.field("body", "IssueComment"))
    comment["updated_at"] = time.time()
    ctx.store.touch()
    return issue_comment(ctx.urls, ctx.store, ctx.repo, comment)
