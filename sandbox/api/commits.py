"""Commits, compare, contents (check runs, suites and statuses are in `sandbox.api.checks`)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sandbox import errors, identity
from sandbox.models import gate, refs
from sandbox.routing import Ctx, Reply, route
from sandbox.views import commits as view
from sandbox.views.git_data import git_commit

R = "/repos/{owner}/{repo}"


def _resolve(ctx: Ctx, ref: str) -> Any:
    commit = ctx.git.resolve(ref)
    if commit is None:
        raise errors.Unprocessable(f"No commit found for SHA: {ref}")
    return commit


@route("GET", R + "/commits")
def list_commits(ctx: Ctx) -> Any:
    ref = ctx.query.get("sha") or ctx.repo["default_branch"]
    head = _resolve(ctx, ref)
    history = ctx.git.log(str(head.id))
    if ctx.query.get("path"):
        path = ctx.query["path"]

        def touches(c: Any) -> bool:
            parent = str(c.parent_ids[0]) if c.parent_ids else None
            return any(f.filename == path for f in ctx.git.diff(parent, str(c.id)))

        history = [c for c in history if touches(c)]
    return [view.commit(ctx.urls, ctx.store, ctx.repo, c, in_list=True) for c in ctx.paginate(history)]


@route("GET", R + "/commits/{ref:path}")
def get_commit(ctx: Ctx) -> Any:
    commit = _resolve(ctx, ctx.params["ref"])
    sha = str(commit.id)
    parent = str(commit.parent_ids[0]) if commit.parent_ids else None
    files = [view.diff_entry(ctx.urls, ctx.repo, sha, f) for f in ctx.git.diff(parent, sha)]
    return view.commit(ctx.urls, ctx.store, ctx.repo, commit, files)


@route("GET", R + "/compare/{basehead:path}")
def compare(ctx: Ctx) -> Any:
    spec = ctx.params["basehead"]
    if "..." in spec:
        base_ref, head_ref = spec.split("...", 1)
    elif ".." in spec:
        base_ref, head_ref = spec.split("..", 1)
    else:
        raise errors.NotFound()
    # owner:branch form, as GitHub accepts for forks; the sandbox has no forks.
    base_ref, head_ref = (r.split(":", 1)[1] if ":" in r else r for r in (base_ref, head_ref))
    base = ctx.git.resolve(base_ref)
    head = ctx.git.resolve(head_ref)
    if base is None or head is None:
        raise errors.NotFound()
    base_sha, head_sha = str(base.id), str(head.id)
    merge_base = ctx.git.merge_base(base_sha, head_sha)
    ahead = ctx.git.commits_between(merge_base, head_sha)
    behind = ctx.git.commits_between(merge_base, base_sha)
    if not ahead and not behind:
        state = "identical"
    elif ahead and behind:
        state = "diverged"
    else:
        state = "ahead" if ahead else "behind"
    mb_commit = (ctx.git.commit(merge_base) if merge_base else None) or base
    html = f"{ctx.urls.repo_html(ctx.repo)}/compare/{spec}"
    files = [view.diff_entry(ctx.urls, ctx.repo, head_sha, f) for f in ctx.git.diff(merge_base, head_sha)]
    return {
        "url": f"{ctx.urls.repo(ctx.repo)}/compare/{spec}",
        "html_url": html,
        "permalink_url": f"{ctx.urls.repo_html(ctx.repo)}/compare/{base_sha}...{head_sha}",
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": view.commit(ctx.urls, ctx.store, ctx.repo, base),
        "merge_base_commit": view.commit(ctx.urls, ctx.store, ctx.repo, mb_commit),
        "status": state,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [view.commit(ctx.urls, ctx.store, ctx.repo, c, in_list=True) for c in ctx.paginate(ahead)],
        "files": files,
    }


# -- contents


@route("GET", R + "/contents/{path:path}")
def get_contents(ctx: Ctx) -> Any:
    ref = ctx.query.get("ref") or ctx.repo["default_branch"]
    commit = ctx.git.resolve(ref)
    if commit is None:
        raise errors.NotFound(f"No commit found for the ref {ref}")
    path = ctx.params["path"].strip("/")
    obj = ctx.git.read_path(str(commit.id), path)
    if obj is None:
        raise errors.NotFound()
    if obj.type_str == "blob":
        return view.content_file(ctx.urls, ctx.repo, path, ref, obj, with_content=True)
    out = []
    for entry in obj:
        child = ctx.git.get(entry.id)
        kind = "dir" if entry.type_str == "tree" else "file"
        out.append(
            view.content_dir_entry(ctx.urls, ctx.repo, f"{path}/{entry.name}".strip("/"), ref, child, kind)
        )
    return out


@route("PUT", R + "/contents/{path:path}")
def put_contents(ctx: Ctx) -> Any:
    ctx.require("write")
    path = ctx.params["path"].strip("/")
    message = str(ctx.field("message", "Commit"))
    try:
        data = base64.b64decode(str(ctx.field("content", "Commit")), validate=False)
    except binascii.Error:
        raise errors.Unprocessable("content is not valid Base64") from None
    branch = ctx.field("branch", required=False) or ctx.repo["default_branch"]
    head = ctx.git.branch_sha(branch)
    if head is None:
        raise errors.NotFound(f"Branch {branch} not found")
    if gate.blocks_direct_push(ctx.repo, branch, admin=ctx.at_least("admin")):
        raise errors.Conflict(
            "Repository rule violations found\n\nChanges must be made through a pull request.\n\n"
        )
    existing = ctx.git.read_path(head, path)
    given_sha = ctx.field("sha", required=False)
    if existing is not None:
        if given_sha is None:
            raise errors.Unprocessable('Invalid request.\n\n"sha" wasn\'t supplied.')
        if given_sha != str(existing.id):
            raise errors.Conflict(f"{path} does not match {given_sha}")
    me = identity.sig(ctx.user)
    author = identity.from_body(ctx.field("author", required=False), me)
    committer = identity.from_body(ctx.field("committer", required=False), me)
    sha = ctx.git.commit_files(head, {path: data}, message, author, committer)
    refs.set_branch(ctx.sb, ctx.repo, branch, sha, ctx.login)
    commit = ctx.git.commit(sha)
    blob = ctx.git.read_path(sha, path)
    assert commit is not None and blob is not None
    body = {
        "content": view.content_file(ctx.urls, ctx.repo, path, branch, blob, with_content=False),
        "commit": git_commit(ctx.urls, ctx.repo, commit),
    }
    return Reply(200 if existing is not None else 201, body)
