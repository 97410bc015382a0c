"""Commits, compare, contents, check runs and commit statuses."""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from sandbox import errors, identity
from sandbox.models import ci, protection, refs
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record
from sandbox.views import commits as view
from sandbox.views.git_data import git_commit
from sandbox.views.repos import repository

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
    return [view.commit(ctx.urls, ctx.store, ctx.repo, c) for c in ctx.paginate(history)]


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
        "commits": [view.commit(ctx.urls, ctx.store, ctx.repo, c) for c in ctx.paginate(ahead)],
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
    if protection.blocks_direct_push(ctx.repo, branch):
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
    refs.set_branch(ctx.sb, ctx.repo, branch, sha)
    commit = ctx.git.commit(sha)
    blob = ctx.git.read_path(sha, path)
    assert commit is not None and blob is not None
    body = {
        "content": view.content_file(ctx.urls, ctx.repo, path, branch, blob, with_content=False),
        "commit": git_commit(ctx.urls, ctx.repo, commit),
    }
    return Reply(200 if existing is not None else 201, body)


# -- checks and statuses


def _runs_for(ctx: Ctx, ref: str) -> list[Record]:
    sha = str(_resolve(ctx, ref).id)
    runs = [cr for cr in ctx.repo["check_runs"].values() if cr["head_sha"] == sha]
    if ctx.query.get("check_name"):
        runs = [cr for cr in runs if cr["name"] == ctx.query["check_name"]]
    if ctx.query.get("status"):
        runs = [cr for cr in runs if cr["status"] == ctx.query["status"]]
    if ctx.query.get("filter", "latest") == "latest":
        latest: dict[str, Record] = {}
        for cr in sorted(runs, key=lambda r: r["id"]):
            latest[cr["name"]] = cr
        runs = list(latest.values())
    return sorted(runs, key=lambda r: -r["id"])


@route("GET", R + "/commits/{ref:path}/check-runs")
def list_check_runs(ctx: Ctx) -> Any:
    runs = _runs_for(ctx, ctx.params["ref"])
    return ctx.counted("check_runs", runs, lambda r: view.check_run(ctx.urls, ctx.store, ctx.repo, r))


@route("GET", R + "/check-runs/{check_run_id}")
def get_check_run(ctx: Ctx) -> Any:
    run = ctx.find("check_runs", "check_run_id")
    return view.check_run(ctx.urls, ctx.store, ctx.repo, run)


@route("POST", R + "/check-runs")
def create_check_run(ctx: Ctx) -> Any:
    name = str(ctx.field("name", "CheckRun"))
    sha = str(ctx.field("head_sha", "CheckRun"))
    if ctx.git.commit(sha) is None:
        raise errors.Unprocessable("No commit found for SHA: " + sha)
    status = ctx.field("status", required=False) or "queued"
    conclusion = ctx.field("conclusion", required=False)
    if conclusion is not None:
        status = "completed"
    run = ci.create(ctx.sb, ctx.repo, sha, name, status=status, conclusion=conclusion)
    _apply_output(run, ctx.field("output", required=False))
    return Reply(201, view.check_run(ctx.urls, ctx.store, ctx.repo, run))


@route("PATCH", R + "/check-runs/{check_run_id}")
def update_check_run(ctx: Ctx) -> Any:
    run = ctx.find("check_runs", "check_run_id")
    for key in ("name", "status", "conclusion"):
        if isinstance(ctx.body, dict) and ctx.body.get(key) is not None:
            run[key] = ctx.body[key]
    if run.get("conclusion") is not None:
        run["status"] = "completed"
        run["completed_at"] = run.get("completed_at") or time.time()
    _apply_output(run, ctx.field("output", required=False))
    ctx.store.touch()
    return view.check_run(ctx.urls, ctx.store, ctx.repo, run)


def _apply_output(run: Record, output: Any) -> None:
    if isinstance(output, dict):
        run["title"] = output.get("title")
        run["summary"] = output.get("summary")


@route("POST", R + "/statuses/{sha}")
def create_status(ctx: Ctx) -> Any:
    sha = ctx.params["sha"]
    if ctx.git.commit(sha) is None:
        raise errors.Unprocessable(f"No commit found for SHA: {sha}")
    state = str(ctx.field("state", "Status"))
    if state not in ("error", "failure", "pending", "success"):
        raise errors.Unprocessable("state is not included in the list")
    st = {
        "id": ctx.store.new_id(),
        "sha": sha,
        "state": state,
        "context": ctx.field("context", required=False) or "default",
        "description": ctx.field("description", required=False),
        "target_url": ctx.field("target_url", required=False),
        "creator": ctx.login,
        "created_at": time.time(),
    }
    ctx.repo["statuses"].append(st)
    ctx.store.touch()
    return Reply(201, view.status(ctx.urls, ctx.store, ctx.repo, st))


@route("GET", R + "/commits/{ref:path}/status")
def combined_status(ctx: Ctx) -> Any:
    commit = _resolve(ctx, ctx.params["ref"])
    sha = str(commit.id)
    latest: dict[str, Record] = {}
    for st in sorted((s for s in ctx.repo["statuses"] if s["sha"] == sha), key=lambda s: s["id"]):
        latest[st["context"]] = st
    states = [s["state"] for s in latest.values()]
    if not states or "pending" in states:
        combined = "pending"
    elif any(s in ("error", "failure") for s in states):
        combined = "failure"
    else:
        combined = "success"
    page = ctx.paginate(sorted(latest.values(), key=lambda s: -s["id"]))
    return {
        "state": combined,
        "statuses": [
            {k: v for k, v in view.status(ctx.urls, ctx.store, ctx.repo, s).items() if k != "creator"}
            for s in page
        ],
        "sha": sha,
        "total_count": len(latest),
        "repository": repository(ctx.urls, ctx.store, ctx.repo, full=False),
        "commit_url": f"{ctx.urls.repo(ctx.repo)}/commits/{sha}",
        "url": f"{ctx.urls.repo(ctx.repo)}/commits/{sha}/status",
    }
