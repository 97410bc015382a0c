"""Actions workflow runs: list (for a workflow or the repository), get, jobs, re-run, cancel."""

from __future__ import annotations

import time
from typing import Any

from sandbox.models import runs, workflows
from sandbox.routing import Ctx, Reply, route
from sandbox.views.actions import workflow_job, workflow_run

R = "/repos/{owner}/{repo}"


def _listing(ctx: Ctx, workflow_id: int | None) -> Any:
    found = runs.matching(ctx.repo, workflow_id, ctx.query)
    lag = ctx.sb.run_list_lag_seconds
    if lag:
        # GitHub lists a new run only a while after it exists (it can be fetched by id at once).
        listed_before = time.time() - lag
        found = [r for r in found if r["created_at"] <= listed_before]
    return ctx.counted("workflow_runs", found, lambda r: workflow_run(ctx.urls, ctx.store, ctx.repo, r))


@route("GET", R + "/actions/workflows/{workflow_id}/runs")
def list_workflow_runs(ctx: Ctx) -> Any:
    return _listing(ctx, workflows.find(ctx.repo, ctx.params["workflow_id"])["id"])


@route("GET", R + "/actions/runs")
def list_repo_runs(ctx: Ctx) -> Any:
    return _listing(ctx, None)


@route("GET", R + "/actions/runs/{run_id}")
def get_run(ctx: Ctx) -> Any:
    return workflow_run(ctx.urls, ctx.store, ctx.repo, ctx.find("runs", "run_id"))


@route("GET", R + "/actions/runs/{run_id}/jobs")
def list_jobs(ctx: Ctx) -> Any:
    run = ctx.find("runs", "run_id")
    return ctx.counted("jobs", run["jobs"], lambda j: workflow_job(ctx.urls, ctx.store, ctx.repo, run, j))


@route("POST", R + "/actions/runs/{run_id}/rerun")
def rerun(ctx: Ctx) -> Any:
    runs.rerun(ctx.sb, ctx.repo, ctx.find("runs", "run_id"), ctx.login, failed_only=False)
    return Reply(201, {})


@route("POST", R + "/actions/runs/{run_id}/rerun-failed-jobs")
def rerun_failed(ctx: Ctx) -> Any:
    runs.rerun(ctx.sb, ctx.repo, ctx.find("runs", "run_id"), ctx.login, failed_only=True)
    return Reply(201, {})


@route("POST", R + "/actions/runs/{run_id}/cancel")
def cancel(ctx: Ctx) -> Any:
    runs.cancel(ctx.sb, ctx.repo, ctx.find("runs", "run_id"))
    return Reply(202, {})
