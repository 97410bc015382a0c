"""Pull requests, reviews, merging (a real merge commit), issue comments."""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors, identity, protection, refs, views
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record

R = "/repos/{owner}/{repo}"
NOT_MERGEABLE = "Pull Request is not mergeable"


def _branch_name(ctx: Ctx, spec: str) -> str:
    if ":" in spec:
        owner, branch = spec.split(":", 1)
        if owner.lower() != ctx.repo["owner"].lower():
            raise errors.Unprocessable(
                errors=[{"resource": "PullRequest", "field": "head", "code": "invalid"}]
            )
        return branch
    return spec


def _get(ctx: Ctx) -> Record:
    pr = ctx.repo["pulls"].get(ctx.params["pull_number"])
    if pr is None:
        raise errors.NotFound()
    return _refresh(ctx, pr)


def _refresh(ctx: Ctx, pr: Record) -> Record:
    """An open PR follows its branches, as GitHub's head.sha and base.sha do."""
    if pr["state"] == "open":
        head = ctx.git.branch_sha(pr["head"])
        base = ctx.git.branch_sha(pr["base"])
        if head and head != pr["head_sha"]:
            pr["head_sha"] = head
            ctx.store.touch()
        if base and base != pr["base_sha"]:
            pr["base_sha"] = base
            ctx.store.touch()
    return pr


def _details(ctx: Ctx, pr: Record) -> Record:
    """The fields only the single-PR endpoints carry: mergeability and size."""
    merge_base = ctx.git.merge_base(pr["base_sha"], pr["head_sha"])
    commits = ctx.git.commits_between(merge_base, pr["head_sha"])
    files = ctx.git.diff(merge_base, pr["head_sha"])
    out: Record = {
        "commits": len(commits),
        "additions": sum(f.additions for f in files),
        "deletions": sum(f.deletions for f in files),
        "changed_files": len(files),
    }
    if pr["state"] != "open":
        out.update(mergeable=None, mergeable_state="unknown")
        return out
    tree, _ = ctx.git.merge_tree(pr["base_sha"], pr["head_sha"])
    if tree is None:
        out.update(mergeable=False, mergeable_state="dirty")
    elif protection.merge_block(ctx.sb, ctx.repo, pr):
        out.update(mergeable=True, mergeable_state="blocked")
    else:
        checks = [cr for cr in ctx.repo["check_runs"].values() if cr["head_sha"] == pr["head_sha"]]
        green = all(cr["conclusion"] in ("success", "neutral", "skipped") for cr in checks)
        out.update(mergeable=True, mergeable_state="clean" if green else "unstable")
    return out


def _full(ctx: Ctx, pr: Record) -> Record:
    return views.pull_request(ctx.urls, ctx.store, ctx.repo, pr, _details(ctx, pr))


@route("GET", R + "/pulls")
def list_pulls(ctx: Ctx) -> Any:
    state = ctx.query.get("state", "open")
    pulls = [_refresh(ctx, pr) for pr in ctx.repo["pulls"].values()]
    if state != "all":
        pulls = [pr for pr in pulls if pr["state"] == state]
    if ctx.query.get("head"):
        head = ctx.query["head"]
        owner, _, branch = head.partition(":")
        pulls = [pr for pr in pulls if owner.lower() == ctx.repo["owner"].lower() and pr["head"] == branch]
    if ctx.query.get("base"):
        pulls = [pr for pr in pulls if pr["base"] == ctx.query["base"]]
    key = "updated_at" if ctx.query.get("sort") == "updated" else "created_at"
    pulls.sort(key=lambda pr: (pr[key], pr["number"]), reverse=ctx.query.get("direction", "desc") == "desc")
    return [views.pull_request(ctx.urls, ctx.store, ctx.repo, pr, None) for pr in ctx.paginate(pulls)]


@route("POST", R + "/pulls")
def create_pull(ctx: Ctx) -> Any:
    title = ctx.field("title", "PullRequest", required=False)
    if title is None and ctx.field("issue", required=False) is None:
        raise errors.missing_field("PullRequest", "title")
    head = _branch_name(ctx, str(ctx.field("head", "PullRequest")))
    base = str(ctx.field("base", "PullRequest"))
    head_sha = ctx.git.branch_sha(head)
    base_sha = ctx.git.branch_sha(base)
    invalid = [f for f, sha in (("base", base_sha), ("head", head_sha)) if sha is None]
    if invalid:
        raise errors.Unprocessable(
            errors=[{"resource": "PullRequest", "field": f, "code": "invalid"} for f in invalid]
        )
    assert head_sha is not None and base_sha is not None
    for other in ctx.repo["pulls"].values():
        if other["state"] == "open" and other["head"] == head and other["base"] == base:
            message = f"A pull request already exists for {ctx.repo['owner']}:{head}."
            raise errors.Unprocessable(
                errors=[{"resource": "PullRequest", "code": "custom", "message": message}]
            )
    if ctx.git.is_ancestor(head_sha, base_sha):
        message = f"No commits between {base} and {head}"
        raise errors.Unprocessable(errors=[{"resource": "PullRequest", "code": "custom", "message": message}])
    now = time.time()
    number = ctx.repo["next_number"]
    ctx.repo["next_number"] = number + 1
    pr: Record = {
        "id": ctx.store.new_id(),
        "number": number,
        "title": title,
        "body": ctx.field("body", required=False),
        "user": ctx.login,
        "head": head,
        "base": base,
        "head_sha": head_sha,
        "base_sha": base_sha,
        "state": "open",
        "draft": bool(ctx.field("draft", required=False)),
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
        "merged": False,
        "merged_at": None,
        "merged_by": None,
        "merge_commit_sha": None,
        "requested_reviewers": [],
    }
    ctx.repo["pulls"][str(number)] = pr
    ctx.store.touch()
    return Reply(201, _full(ctx, pr), {"Location": f"{ctx.urls.repo(ctx.repo)}/pulls/{number}"})


@route("GET", R + "/pulls/{pull_number}")
def get_pull(ctx: Ctx) -> Any:
    return _full(ctx, _get(ctx))


@route("PATCH", R + "/pulls/{pull_number}")
def update_pull(ctx: Ctx) -> Any:
    pr = _get(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    for key in ("title", "body"):
        if key in body:
            pr[key] = body[key]
    if body.get("base"):
        if ctx.git.branch_sha(body["base"]) is None:
            raise errors.Unprocessable(
                errors=[{"resource": "PullRequest", "field": "base", "code": "invalid"}]
            )
        pr["base"] = body["base"]
    if body.get("state") in ("open", "closed") and not pr["merged"]:
        if body["state"] == "open" and pr["state"] == "closed":
            pr["closed_at"] = None
        elif body["state"] == "closed" and pr["state"] == "open":
            pr["closed_at"] = time.time()
        pr["state"] = body["state"]
    pr["updated_at"] = time.time()
    ctx.store.touch()
    return _full(ctx, _refresh(ctx, pr))


@route("GET", R + "/pulls/{pull_number}/commits")
def pull_commits(ctx: Ctx) -> Any:
    pr = _get(ctx)
    merge_base = ctx.git.merge_base(pr["base_sha"], pr["head_sha"])
    commits = ctx.git.commits_between(merge_base, pr["head_sha"])
    return [views.commit(ctx.urls, ctx.store, ctx.repo, c) for c in ctx.paginate(commits)]


@route("GET", R + "/pulls/{pull_number}/files")
def pull_files(ctx: Ctx) -> Any:
    pr = _get(ctx)
    merge_base = ctx.git.merge_base(pr["base_sha"], pr["head_sha"])
    files = ctx.git.diff(merge_base, pr["head_sha"])
    return [views.diff_entry(ctx.urls, ctx.repo, pr["head_sha"], f) for f in ctx.paginate(files)]


@route("POST", R + "/pulls/{pull_number}/requested_reviewers")
def request_reviewers(ctx: Ctx) -> Any:
    pr = _get(ctx)
    reviewers = list(ctx.field("reviewers", required=False) or [])
    for login in reviewers:
        if ctx.store.user(login) is None:
            raise errors.Unprocessable(
                "Reviews may only be requested from collaborators. "
                "One or more of the users or teams you specified is not a collaborator "
                f"of the {ctx.repo['full_name']} repository."
            )
        if login == pr["user"]:
            raise errors.Unprocessable("Review cannot be requested from pull request author.")
        if login not in pr["requested_reviewers"]:
            pr["requested_reviewers"].append(login)
    ctx.store.touch()
    return Reply(201, views.pull_request(ctx.urls, ctx.store, ctx.repo, pr, None))


@route("GET", R + "/pulls/{pull_number}/reviews")
def list_reviews(ctx: Ctx) -> Any:
    pr = _get(ctx)
    reviews = sorted(
        (r for r in ctx.repo["reviews"].values() if r["pull"] == pr["number"]), key=lambda r: r["id"]
    )
    return [views.review(ctx.urls, ctx.store, ctx.repo, r) for r in ctx.paginate(reviews)]


EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}


@route("POST", R + "/pulls/{pull_number}/reviews")
def create_review(ctx: Ctx) -> Any:
    pr = _get(ctx)
    event = ctx.field("event", required=False)
    body = ctx.field("body", required=False)
    if event is not None and event not in EVENTS:
        raise errors.Unprocessable(
            errors=[{"resource": "PullRequestReview", "field": "event", "code": "invalid"}]
        )
    if pr["user"] == ctx.login and event == "APPROVE":
        raise errors.Unprocessable("Unprocessable Entity", errors=["Can not approve your own pull request"])
    if pr["user"] == ctx.login and event == "REQUEST_CHANGES":
        raise errors.Unprocessable(
            "Unprocessable Entity", errors=["Can not request changes on your own pull request"]
        )
    if event in ("REQUEST_CHANGES", "COMMENT") and not body:
        raise errors.Unprocessable(
            "Unprocessable Entity", errors=[f"Body is required for {event.lower().replace('_', ' ')} reviews"]
        )
    if pr["state"] != "open" and event in ("APPROVE", "REQUEST_CHANGES"):
        raise errors.Unprocessable("Unprocessable Entity", errors=["Can not review a closed pull request"])
    commit_id = ctx.field("commit_id", required=False) or pr["head_sha"]
    if ctx.git.commit(commit_id) is None:
        raise errors.Unprocessable(
            "Unprocessable Entity", errors=["Commit ID is not part of the pull request"]
        )
    review = {
        "id": ctx.store.new_id(),
        "pull": pr["number"],
        "user": ctx.login,
        "body": body or "",
        "state": EVENTS[event] if event else "PENDING",
        "commit_id": commit_id,
        "submitted_at": time.time() if event else None,
    }
    ctx.repo["reviews"][str(review["id"])] = review
    if ctx.login in pr["requested_reviewers"] and event:
        pr["requested_reviewers"].remove(ctx.login)
    ctx.store.touch()
    return views.review(ctx.urls, ctx.store, ctx.repo, review)


@route("GET", R + "/pulls/{pull_number}/merge")
def check_merged(ctx: Ctx) -> Any:
    if not _get(ctx)["merged"]:
        raise errors.NotFound()
    return Reply(204)


@route("PUT", R + "/pulls/{pull_number}/merge")
def merge_pull(ctx: Ctx) -> Any:
    pr = _get(ctx)
    if pr["state"] != "open":
        raise errors.MethodNotAllowed(NOT_MERGEABLE)
    expected = ctx.field("sha", required=False)
    if expected is not None and expected != pr["head_sha"]:
        raise errors.Conflict("Head branch was modified. Review and try the merge again.")
    method = ctx.field("merge_method", required=False) or "merge"
    if method not in ("merge", "squash", "rebase"):
        raise errors.Unprocessable(
            errors=[{"resource": "PullRequest", "field": "merge_method", "code": "invalid"}]
        )
    blocked = protection.merge_block(ctx.sb, ctx.repo, pr)
    if blocked:
        raise errors.MethodNotAllowed(blocked)
    tree, _conflicts = ctx.git.merge_tree(pr["base_sha"], pr["head_sha"])
    if tree is None:
        raise errors.MethodNotAllowed(NOT_MERGEABLE)
    title = ctx.field("commit_title", required=False)
    message = ctx.field("commit_message", required=False)
    me = identity.sig(ctx.user)
    if method == "merge":
        title = title or f"Merge pull request #{pr['number']} from {ctx.repo['owner']}/{pr['head']}"
        full = f"{title}\n\n{message if message is not None else pr['title']}"
        sha = ctx.git.create_commit(tree, [pr["base_sha"], pr["head_sha"]], full, me, identity.github_sig())
    elif method == "squash":
        title = title or f"{pr['title']} (#{pr['number']})"
        full = f"{title}\n\n{message}" if message else title
        sha = ctx.git.create_commit(tree, [pr["base_sha"]], full, me, identity.github_sig())
    else:
        sha = _rebase(ctx, pr)
    refs.set_branch(ctx.sb, ctx.repo, pr["base"], sha)
    now = time.time()
    pr.update(
        state="closed",
        merged=True,
        merged_at=now,
        closed_at=now,
        updated_at=now,
        merged_by=ctx.login,
        merge_commit_sha=sha,
    )
    ctx.store.touch()
    return {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}


def _rebase(ctx: Ctx, pr: Record) -> str:
    merge_base = ctx.git.merge_base(pr["base_sha"], pr["head_sha"])
    onto = pr["base_sha"]
    for commit in ctx.git.commits_between(merge_base, pr["head_sha"]):
        if len(commit.parent_ids) > 1:
            continue
        tree = ctx.git.pick_tree(str(commit.id), onto)
        if tree is None:
            raise errors.MethodNotAllowed("This branch can't be rebased")
        onto = ctx.git.create_commit(tree, [onto], commit.message, commit.author, identity.github_sig())
    return onto


# -- issue comments (the sandbox's issues are its pull requests)


def _issue(ctx: Ctx) -> Record:
    pr = ctx.repo["pulls"].get(ctx.params["issue_number"])
    if pr is None:
        raise errors.NotFound()
    return pr


@route("GET", R + "/issues/{issue_number}/comments")
def list_comments(ctx: Ctx) -> Any:
    number = _issue(ctx)["number"]
    comments = [c for c in ctx.repo["comments"] if c["issue"] == number]
    return [views.issue_comment(ctx.urls, ctx.store, ctx.repo, c) for c in ctx.paginate(comments)]


@route("POST", R + "/issues/{issue_number}/comments")
def create_comment(ctx: Ctx) -> Any:
    pr = _issue(ctx)
    comment = {
        "id": ctx.store.new_id(),
        "issue": pr["number"],
        "user": ctx.login,
        "body": str(ctx.field("body", "IssueComment")),
        "created_at": time.time(),
    }
    ctx.repo["comments"].append(comment)
    ctx.store.touch()
    url = f"{ctx.urls.repo(ctx.repo)}/issues/comments/{comment['id']}"
    return Reply(201, views.issue_comment(ctx.urls, ctx.store, ctx.repo, comment), {"Location": url})
