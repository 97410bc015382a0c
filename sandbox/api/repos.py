"""Repository, branches, webhooks (branch protection and rulesets are in `sandbox.api.rules`)."""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors
from sandbox.models import protection
from sandbox.routing import Ctx, Reply, route
from sandbox.views.commits import commit
from sandbox.views.repos import branch, hook, repository, short_branch

R = "/repos/{owner}/{repo}"


@route("GET", R)
def get_repo(ctx: Ctx) -> Any:
    return repository(ctx.urls, ctx.store, ctx.repo)


@route("GET", R + "/branches")
def list_branches(ctx: Ctx) -> Any:
    branches = ctx.git.branches()
    if "protected" in ctx.query:
        wanted = ctx.query["protected"] in ("true", "1")
        branches = [(n, s) for n, s in branches if (protection.rule_for(ctx.repo, n) is not None) == wanted]
    return [
        short_branch(ctx.urls, ctx.repo, n, s, protection.rule_for(ctx.repo, n))
        for n, s in ctx.paginate(branches)
    ]


@route("GET", R + "/branches/{branch:path}")
def get_branch(ctx: Ctx) -> Any:
    name = ctx.params["branch"]
    sha = ctx.git.branch_sha(name)
    if sha is None:
        raise errors.NotFound("Branch not found")
    head = ctx.git.commit(sha)
    assert head is not None
    rule = protection.rule_for(ctx.repo, name)
    return branch(ctx.urls, ctx.repo, name, commit(ctx.urls, ctx.store, ctx.repo, head), rule)


@route("GET", R + "/hooks")
def list_hooks(ctx: Ctx) -> Any:
    return [hook(ctx.urls, ctx.repo, h) for h in ctx.paginate(ctx.repo["hooks"])]


@route("POST", R + "/hooks")
def create_hook(ctx: Ctx) -> Any:
    """Stored and listed, never delivered: the sandbox does not call out."""
    config = dict(ctx.field("config", "Hook"))
    if "url" not in config:
        raise errors.custom("Hook", "url is missing")
    if "secret" in config:
        config["secret"] = "********"
    record = {
        "id": ctx.store.new_id(),
        "active": bool(
            ctx.field("active", required=False) if ctx.field("active", required=False) is not None else True
        ),
        "events": list(ctx.field("events", required=False) or ["push"]),
        "config": {"content_type": "form", "insecure_ssl": "0", **config},
        "created_at": time.time(),
    }
    ctx.repo["hooks"].append(record)
    ctx.store.touch()
    return Reply(201, hook(ctx.urls, ctx.repo, record))
