"""Check runs, check suites and commit statuses.

Only a GitHub App may create or update check runs (a user's token gets 403 "You must authenticate
via a GitHub App."); the run belongs to that app and its suite. Commit statuses may be posted by
anyone with write access, and carry their creator (and the creator's app, for an app's bot).
"""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors
from sandbox.models import checks
from sandbox.models.permissions import app_of
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record
from sandbox.views import checks as view
from sandbox.views.repos import repository

R = "/repos/{owner}/{repo}"
APPS_ONLY = "You must authenticate via a GitHub App."
ONLY_ITS_APP = "check run can only be modified by the GitHub App that created it."


def _sha(ctx: Ctx, ref: str) -> str:
    commit = ctx.git.resolve(ref)
    if commit is None:
        raise errors.Unprocessable(f"No commit found for SHA: {ref}")
    return str(commit.id)


def _app_slug(ctx: Ctx) -> str:
    app = app_of(ctx.store, ctx.user)
    if app is None:
        raise errors.Forbidden(APPS_ONLY)
    return str(app["slug"])


def _by_app_id(ctx: Ctx, items: list[Record], slug_of: Any) -> list[Record]:
    if not ctx.query.get("app_id"):
        return items
    return [i for i in items if str(checks.app_id(ctx.sb, slug_of(i))) == ctx.query["app_id"]]


def _runs_for(ctx: Ctx, ref: str) -> list[Record]:
    sha = _sha(ctx, ref)
    runs = [cr for cr in ctx.repo["check_runs"].values() if cr["head_sha"] == sha]
    if ctx.query.get("check_name"):
        runs = [cr for cr in runs if cr["name"] == ctx.query["check_name"]]
    if ctx.query.get("status"):
        runs = [cr for cr in runs if cr["status"] == ctx.query["status"]]
    runs = _by_app_id(ctx, runs, lambda r: checks.run_app(ctx.repo, r))
    if ctx.query.get("filter", "latest") == "latest":
        # The latest run of each name in each suite (a name reported by two apps shows twice).
        latest: dict[tuple[str, Any], Record] = {}
        for cr in sorted(runs, key=lambda r: r["id"]):
            latest[(cr["name"], cr.get("suite"))] = cr
        runs = list(latest.values())
    return sorted(runs, key=lambda r: -r["id"])


@route("GET", R + "/commits/{ref:path}/check-runs")
def list_check_runs(ctx: Ctx) -> Any:
    runs = _runs_for(ctx, ctx.params["ref"])
    return ctx.counted("check_runs", runs, lambda r: view.check_run(ctx.urls, ctx.store, ctx.repo, r))


@route("GET", R + "/commits/{ref:path}/check-suites")
def list_check_suites(ctx: Ctx) -> Any:
    sha = _sha(ctx, ctx.params["ref"])
    suites = [s for s in ctx.repo.get("check_suites", {}).values() if s["head_sha"] == sha]
    suites = _by_app_id(ctx, suites, lambda s: s["app"])
    if ctx.query.get("check_name"):
        names = ctx.query["check_name"]
        suites = [s for s in suites if any(r["name"] == names for r in checks.suite_runs(ctx.repo, s))]
    suites.sort(key=lambda s: s["id"])
    return ctx.counted(
        "check_suites",
        suites,
        lambda s: view.check_suite(ctx.urls, ctx.store, ctx.repo, s, len(checks.suite_runs(ctx.repo, s))),
    )


@route("GET", R + "/check-suites/{check_suite_id}")
def get_check_suite(ctx: Ctx) -> Any:
    suite = ctx.find("check_suites", "check_suite_id")
    return view.check_suite(ctx.urls, ctx.store, ctx.repo, suite, len(checks.suite_runs(ctx.repo, suite)))


@route("GET", R + "/check-runs/{check_run_id}")
def get_check_run(ctx: Ctx) -> Any:
    run = ctx.find("check_runs", "check_run_id")
    return view.check_run(ctx.urls, ctx.store, ctx.repo, run)


@route("POST", R + "/check-runs")
def create_check_run(ctx: Ctx) -> Any:
    slug = _app_slug(ctx)
    name = str(ctx.field("name", "CheckRun"))
    sha = str(ctx.field("head_sha", "CheckRun"))
    if ctx.git.commit(sha) is None:
        raise errors.Unprocessable("No commit found for SHA: " + sha)
    status = ctx.field("status", required=False) or "queued"
    conclusion = ctx.field("conclusion", required=False)
    run = checks.create_run(ctx.sb, ctx.repo, sha, name, slug, status=status, conclusion=conclusion)
    _apply_output(run, ctx.field("output", required=False))
    return Reply(201, view.check_run(ctx.urls, ctx.store, ctx.repo, run))


@route("PATCH", R + "/check-runs/{check_run_id}")
def update_check_run(ctx: Ctx) -> Any:
    slug = _app_slug(ctx)
    run = ctx.find("check_runs", "check_run_id")
    if checks.run_app(ctx.repo, run) != slug:
        # An app may only update its own check runs.
        app_id = checks.app_id(ctx.sb, slug)
        raise errors.Forbidden(f"Invalid app_id `{app_id}` - {ONLY_ITS_APP}")
    was = run["status"]
    for key in ("name", "status", "conclusion"):
        if isinstance(ctx.body, dict) and ctx.body.get(key) is not None:
            run[key] = ctx.body[key]
    if run.get("conclusion") is not None:
        run["status"] = "completed"
        run["completed_at"] = run.get("completed_at") or time.time()
    _apply_output(run, ctx.field("output", required=False))
    if run["status"] == "completed" and was != "completed":
        checks.completed(ctx.sb, ctx.repo, run)
    else:
        suite = ctx.repo.get("check_suites", {}).get(str(run.get("suite")))
        if suite is not None:
            checks.refresh_suite(ctx.sb, ctx.repo, suite)
    ctx.store.touch()
    return view.check_run(ctx.urls, ctx.store, ctx.repo, run)


def _apply_output(run: Record, output: Any) -> None:
    if isinstance(output, dict):
        run["title"] = output.get("title")
        run["summary"] = output.get("summary")


@route("POST", R + "/statuses/{sha}")
def create_status(ctx: Ctx) -> Any:
    ctx.require("write")
    sha = ctx.params["sha"]
    if ctx.git.commit(sha) is None:
        raise errors.Unprocessable(f"No commit found for SHA: {sha}")
    state = str(ctx.field("state", "Status"))
    if state not in ("error", "failure", "pending", "success"):
        raise errors.Unprocessable("state is not included in the list")
    st = checks.add_status(
        ctx.sb,
        ctx.repo,
        sha,
        state,
        ctx.field("context", required=False) or "default",
        ctx.login,
        description=ctx.field("description", required=False),
        target_url=ctx.field("target_url", required=False),
    )
    return ctx.created(view.status(ctx.urls, ctx.store, ctx.repo, st), f"/statuses/{sha}")


@route("GET", R + "/commits/{ref:path}/status")
def combined_status(ctx: Ctx) -> Any:
    sha = _sha(ctx, ctx.params["ref"])
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
