"""Repository and branches (protection and rulesets: `sandbox.api.rules`; webhooks: `sandbox.api.hooks`)."""

from __future__ import annotations

from typing import Any

from sandbox import errors
from sandbox.models import protection
from sandbox.routing import Ctx, route
from sandbox.views.commits import commit
from sandbox.views.repos import branch, repository, short_branch

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
