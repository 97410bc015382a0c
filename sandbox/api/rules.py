"""Classic branch protection and rulesets, apart as on GitHub.

`GET branches/{b}/protection` shows the classic rule only, to admins only (others get 404, as
GitHub answers them); `GET rules/branches/{b}` lists the rules of the active rulesets only, for any
branch name, existing or not; `GET rulesets` and `GET rulesets/{id}` show the rulesets themselves.
"""

from __future__ import annotations

from typing import Any

from sandbox import errors
from sandbox.models import permissions, protection, rulesets
from sandbox.routing import Ctx, route
from sandbox.views import rules as view

R = "/repos/{owner}/{repo}"


@route("GET", R + "/branches/{branch:path}/protection")
def get_protection(ctx: Ctx) -> Any:
    name = ctx.params["branch"]
    if not permissions.may_read_administration(ctx.store, ctx.repo, ctx.login):
        raise errors.NotFound()
    if ctx.git.branch_sha(name) is None:
        raise errors.NotFound("Branch not found")
    rule = protection.rule_for(ctx.repo, name)
    if rule is None:
        raise errors.NotFound("Branch not protected")
    return view.protection_body(ctx.urls, ctx.repo, name, rule)


@route("GET", R + "/rules/branches/{branch:path}")
def get_branch_rules(ctx: Ctx) -> Any:
    found = rulesets.rules_for(ctx.repo, ctx.params["branch"])
    return [view.rule_detailed(ctx.repo, rs, rule) for rs, rule in ctx.paginate(found)]


@route("GET", R + "/rulesets")
def list_rulesets(ctx: Ctx) -> Any:
    found = list(ctx.repo.get("rulesets", []))
    if ctx.query.get("targets"):
        wanted = set(ctx.query["targets"].split(","))
        found = [rs for rs in found if rs.get("target", "branch") in wanted]
    return [view.ruleset(ctx.urls, ctx.repo, rs, full=False) for rs in ctx.paginate(found)]


@route("GET", R + "/rulesets/{ruleset_id}")
def get_ruleset(ctx: Ctx) -> Any:
    rs = rulesets.find(ctx.repo, ctx.params["ruleset_id"])
    if rs is None:
        raise errors.NotFound()
    return view.ruleset(ctx.urls, ctx.repo, rs, full=True)
