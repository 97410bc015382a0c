"""Actions workflows: list, get (by id or file name), and workflow_dispatch."""

from __future__ import annotations

from typing import Any

from sandbox import errors, profiles
from sandbox.models import runs, workflows
from sandbox.routing import Ctx, Reply, route
from sandbox.views.actions import workflow

R = "/repos/{owner}/{repo}"


@route("GET", R + "/actions/workflows")
def list_workflows(ctx: Ctx) -> Any:
    wfs = sorted(ctx.repo["workflows"].values(), key=lambda w: w["id"])
    return ctx.counted("workflows", wfs, lambda w: workflow(ctx.urls, ctx.repo, w))


@route("GET", R + "/actions/workflows/{workflow_id}")
def get_workflow(ctx: Ctx) -> Any:
    return workflow(ctx.urls, ctx.repo, workflows.find(ctx.repo, ctx.params["workflow_id"]))


@route("POST", R + "/actions/workflows/{workflow_id}/dispatches")
def dispatch(ctx: Ctx) -> Any:
    if isinstance(ctx.body, dict) and "return_run_details" in ctx.body and not ctx.sb.profile.run_details:
        # GHES before 3.21 does not know the key: its schema check refuses the request, no run is made.
        raise profiles.refuse_unknown_key("return_run_details")
    wf = workflows.find(ctx.repo, ctx.params["workflow_id"])
    ref = str(ctx.field("ref", "WorkflowDispatch"))
    inputs = ctx.field("inputs", required=False) or {}
    if not isinstance(inputs, dict):
        raise errors.Unprocessable("For 'properties/inputs', must be an object.")
    run = runs.dispatch(ctx.sb, ctx.repo, wf, ref, inputs, ctx.login)
    if ctx.field("return_run_details", required=False):
        return {
            "workflow_run_id": run["id"],
            "run_url": f"{ctx.urls.repo(ctx.repo)}/actions/runs/{run['id']}",
            "html_url": f"{ctx.urls.repo_html(ctx.repo)}/actions/runs/{run['id']}",
        }
    return Reply(204)
