"""Deployments and their statuses, environments and their deployment branch policies."""

from __future__ import annotations

from typing import Any

from sandbox import errors
from sandbox.models import deployments
from sandbox.routing import Ctx, Reply, route
from sandbox.views import deployments as view

R = "/repos/{owner}/{repo}"


@route("GET", R + "/deployments")
def list_deployments(ctx: Ctx) -> Any:
    deps = list(ctx.repo["deployments"].values())
    for key in ("sha", "ref", "task", "environment"):
        if ctx.query.get(key):
            deps = [d for d in deps if d[key] == ctx.query[key]]
    deps.sort(key=lambda d: -d["id"])
    return [view.deployment(ctx.urls, ctx.store, ctx.repo, d) for d in ctx.paginate(deps)]


@route("GET", R + "/deployments/{deployment_id}")
def get_deployment(ctx: Ctx) -> Any:
    return view.deployment(ctx.urls, ctx.store, ctx.repo, ctx.find("deployments", "deployment_id"))


@route("POST", R + "/deployments")
def create_deployment(ctx: Ctx) -> Any:
    ref = str(ctx.field("ref", "Deployment"))
    commit = ctx.git.resolve(ref)
    if commit is None:
        raise errors.Unprocessable(f"No ref found for: {ref}")
    dep = deployments.create(
        ctx.sb,
        ctx.repo,
        ctx.field("environment", required=False) or "production",
        ref,
        str(commit.id),
        ctx.login,
        task=ctx.field("task", required=False) or "deploy",
        payload=ctx.field("payload", required=False),
        description=ctx.field("description", required=False),
    )
    return Reply(201, view.deployment(ctx.urls, ctx.store, ctx.repo, dep))


@route("GET", R + "/deployments/{deployment_id}/statuses")
def list_statuses(ctx: Ctx) -> Any:
    dep = ctx.find("deployments", "deployment_id")
    statuses = [s for s in ctx.repo["deployment_statuses"].values() if s["deployment"] == dep["id"]]
    statuses.sort(key=lambda s: -s["id"])
    return [view.deployment_status(ctx.urls, ctx.store, ctx.repo, s) for s in ctx.paginate(statuses)]


@route("POST", R + "/deployments/{deployment_id}/statuses")
def create_status(ctx: Ctx) -> Any:
    dep = ctx.find("deployments", "deployment_id")
    state = str(ctx.field("state", "DeploymentStatus"))
    if state not in deployments.STATES:
        raise errors.invalid_field("DeploymentStatus", "state")
    st = deployments.add_status(
        ctx.sb,
        ctx.repo,
        dep,
        state,
        ctx.login,
        ctx.field("description", required=False) or "",
        ctx.field("log_url", required=False) or ctx.field("target_url", required=False),
        via_api=True,
    )
    if state == "success" and ctx.field("auto_inactive", required=False) is not False:
        deployments.supersede(ctx.sb, ctx.repo, dep, ctx.login)
    return Reply(201, view.deployment_status(ctx.urls, ctx.store, ctx.repo, st))


# -- environments


@route("GET", R + "/environments")
def list_environments(ctx: Ctx) -> Any:
    envs = sorted(ctx.repo["environments"].values(), key=lambda e: e["name"])
    return ctx.counted("environments", envs, lambda e: view.environment(ctx.urls, ctx.store, ctx.repo, e))


@route("GET", R + "/environments/{environment_name}")
def get_environment(ctx: Ctx) -> Any:
    return view.environment(ctx.urls, ctx.store, ctx.repo, ctx.find("environments", "environment_name"))


@route("GET", R + "/environments/{environment_name}/deployment-branch-policies")
def list_branch_policies(ctx: Ctx) -> Any:
    policies = ctx.find("environments", "environment_name").get("branch_policies") or []
    return ctx.counted("branch_policies", policies, view.branch_policy)
