"""Reviewing deployments: a run's pending deployments (get, approve or reject) and its review history."""

from __future__ import annotations

from typing import Any

from sandbox import errors
from sandbox.models import runs
from sandbox.routing import Ctx, route
from sandbox.views.actions import approval, pending_deployment
from sandbox.views.deployments import deployment

R = "/repos/{owner}/{repo}"


@route("GET", R + "/actions/runs/{run_id}/pending_deployments")
def get_pending(ctx: Ctx) -> Any:
    run = ctx.find("runs", "run_id")
    env = runs.waiting_for(ctx.repo, run)
    if env is None:
        return []
    can_approve = runs.can_approve(ctx.store, env, run, ctx.login)
    return [pending_deployment(ctx.urls, ctx.store, ctx.repo, run, env, can_approve)]


@route("POST", R + "/actions/runs/{run_id}/pending_deployments")
def review_pending(ctx: Ctx) -> Any:
    run = ctx.find("runs", "run_id")
    env_ids = [int(i) for i in ctx.field("environment_ids", "DeploymentReview")]
    state = str(ctx.field("state", "DeploymentReview"))
    comment = str(ctx.field("comment", "DeploymentReview", required=False) or "")
    if state not in ("approved", "rejected"):
        raise errors.invalid_field("DeploymentReview", "state")
    dep = runs.review(ctx.sb, ctx.repo, run, ctx.login, env_ids, state, comment)
    return [deployment(ctx.urls, ctx.store, ctx.repo, dep)] if dep else []


@route("GET", R + "/actions/runs/{run_id}/approvals")
def list_approvals(ctx: Ctx) -> Any:
    run = ctx.find("runs", "run_id")
    return [approval(ctx.urls, ctx.store, ctx.repo, given) for given in run["approvals"]]
