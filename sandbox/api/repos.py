"""Repository, branches, branch protection, branch rules, webhooks."""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors
from sandbox.models import protection
from sandbox.routing import Ctx, Reply, route
from sandbox.views.commits import commit
from sandbox.views.repos import branch, branch_rules, hook, protection_body, repository, short_branch

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


@route("GET", R + "/branches/{branch:path}/protection")
def get_protection(ctx: Ctx) -> Any:
    name = ctx.params["branch"]
    if ctx.git.branch_sha(name) is None:
        raise errors.NotFound("Branch not found")
    rule = protection.rule_for(ctx.repo, name)
    if rule is None:
        raise errors.NotFound("Branch not protected")
    body = protection_body(ctx.urls, ctx.repo, name, rule)
    body.pop("enabled")
    return body


@route("GET", R + "/rules/branches/{branch:path}")
def get_branch_rules(ctx: Ctx) -> Any:
    """Classic protection shown as the rules it implies (GitHub lists rulesets here; the sandbox has none)."""
    rule = protection.rule_for(ctx.repo, ctx.params["branch"])
    if rule is None:
        return []
    return ctx.paginate(branch_rules(ctx.repo, rule))


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
