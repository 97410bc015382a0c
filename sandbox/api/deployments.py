"""Deployments and their statuses, environments and their deployment branch policies."""

from __future__ import annotations

import time
from typing import Any

from sandbox import errors, views
from sandbox.core import Sandbox
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record, iso
from sandbox.views import Urls

R = "/repos/{owner}/{repo}"
STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


def create(
    sb: Sandbox,
    repo: Record,
    environment: str,
    ref: str,
    sha: str,
    creator: str | None,
    *,
    task: str = "deploy",
    payload: Any = None,
    description: str | None = None,
    run_id: int | None = None,
) -> Record:
    now = time.time()
    dep: Record = {
        "id": sb.store.new_id(),
        "sha": sha,
        "ref": ref,
        "task": task,
        "environment": environment,
        "creator": creator,
        "payload": payload if payload is not None else {},
        "description": description,
        "created_at": now,
        "updated_at": now,
        "run_id": run_id,
    }
    repo["deployments"][str(dep["id"])] = dep
    sb.store.touch()
    return dep


def add_status(
    sb: Sandbox,
    repo: Record,
    dep: Record,
    state: str,
    creator: str | None,
    description: str = "",
    log_url: str | None = None,
) -> Record:
    now = time.time()
    st: Record = {
        "id": sb.store.new_id(),
        "deployment": dep["id"],
        "state": state,
        "creator": creator,
        "description": description,
        "environment": dep["environment"],
        "log_url": log_url,
        "created_at": now,
    }
    repo["deployment_statuses"][str(st["id"])] = st
    dep["updated_at"] = now
    sb.store.touch()
    return st


def deployment_view(u: Urls, sb: Sandbox, repo: Record, dep: Record) -> Record:
    url = f"{u.repo(repo)}/deployments/{dep['id']}"
    return {
        "url": url,
        "id": dep["id"],
        "node_id": views.node_id("Deployment", dep["id"]),
        "sha": dep["sha"],
        "ref": dep["ref"],
        "task": dep["task"],
        "payload": dep["payload"],
        "original_environment": dep["environment"],
        "environment": dep["environment"],
        "description": dep["description"],
        "creator": views.simple_user(u, sb.store.user(dep["creator"] or "")),
        "created_at": iso(dep["created_at"]),
        "updated_at": iso(dep["updated_at"]),
        "statuses_url": f"{url}/statuses",
        "repository_url": u.repo(repo),
        "transient_environment": False,
        "production_environment": dep["environment"] in ("prod", "production"),
    }


def status_view(u: Urls, sb: Sandbox, repo: Record, st: Record) -> Record:
    dep_url = f"{u.repo(repo)}/deployments/{st['deployment']}"
    dep = repo["deployments"].get(str(st["deployment"]), {})
    run_url = f"{u.repo_html(repo)}/actions/runs/{dep['run_id']}" if dep.get("run_id") else ""
    return {
        "url": f"{dep_url}/statuses/{st['id']}",
        "id": st["id"],
        "node_id": views.node_id("DeploymentStatus", st["id"]),
        "state": st["state"],
        "creator": views.simple_user(u, sb.store.user(st["creator"] or "")),
        "description": st["description"] or "",
        "environment": st["environment"],
        "target_url": st.get("log_url") or run_url,
        "log_url": st.get("log_url") or run_url,
        "environment_url": "",
        "created_at": iso(st["created_at"]),
        "updated_at": iso(st["created_at"]),
        "deployment_url": dep_url,
        "repository_url": u.repo(repo),
    }


def _dep(ctx: Ctx) -> Record:
    dep = ctx.repo["deployments"].get(ctx.params["deployment_id"])
    if dep is None:
        raise errors.NotFound()
    return dep


@route("GET", R + "/deployments")
def list_deployments(ctx: Ctx) -> Any:
    deps = list(ctx.repo["deployments"].values())
    for key in ("sha", "ref", "task", "environment"):
        if ctx.query.get(key):
            deps = [d for d in deps if d[key] == ctx.query[key]]
    deps.sort(key=lambda d: -d["id"])
    return [deployment_view(ctx.urls, ctx.sb, ctx.repo, d) for d in ctx.paginate(deps)]


@route("GET", R + "/deployments/{deployment_id}")
def get_deployment(ctx: Ctx) -> Any:
    return deployment_view(ctx.urls, ctx.sb, ctx.repo, _dep(ctx))


@route("POST", R + "/deployments")
def create_deployment(ctx: Ctx) -> Any:
    ref = str(ctx.field("ref", "Deployment"))
    commit = ctx.git.resolve(ref)
    if commit is None:
        raise errors.Unprocessable(f"No ref found for: {ref}")
    dep = create(
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
    return Reply(201, deployment_view(ctx.urls, ctx.sb, ctx.repo, dep))


@route("GET", R + "/deployments/{deployment_id}/statuses")
def list_statuses(ctx: Ctx) -> Any:
    dep = _dep(ctx)
    statuses = [s for s in ctx.repo["deployment_statuses"].values() if s["deployment"] == dep["id"]]
    statuses.sort(key=lambda s: -s["id"])
    return [status_view(ctx.urls, ctx.sb, ctx.repo, s) for s in ctx.paginate(statuses)]


@route("POST", R + "/deployments/{deployment_id}/statuses")
def create_status(ctx: Ctx) -> Any:
    dep = _dep(ctx)
    state = str(ctx.field("state", "DeploymentStatus"))
    if state not in STATES:
        raise errors.Unprocessable(
            errors=[{"resource": "DeploymentStatus", "field": "state", "code": "invalid"}]
        )
    st = add_status(
        ctx.sb,
        ctx.repo,
        dep,
        state,
        ctx.login,
        ctx.field("description", required=False) or "",
        ctx.field("log_url", required=False) or ctx.field("target_url", required=False),
    )
    return Reply(201, status_view(ctx.urls, ctx.sb, ctx.repo, st))


# -- environments


def env_summary(u: Urls, repo: Record, env: Record) -> Record:
    return {
        "id": env["id"],
        "node_id": views.node_id("Environment", env["id"]),
        "name": env["name"],
        "url": f"{u.repo(repo)}/environments/{env['name']}",
        "html_url": f"{u.repo_html(repo)}/deployments/activity_log?environments_filter={env['name']}",
        "created_at": iso(env["created_at"]),
        "updated_at": iso(env["created_at"]),
    }


def reviewer_views(u: Urls, sb: Sandbox, env: Record) -> list[Record]:
    return [{"type": "User", "reviewer": views.simple_user(u, sb.store.user(r))} for r in env["reviewers"]]


def env_view(u: Urls, sb: Sandbox, repo: Record, env: Record) -> Record:
    out = env_summary(u, repo, env)
    rules: list[Record] = []
    if env.get("wait_timer"):
        rules.append(
            {
                "id": env["id"] + 1,
                "node_id": views.node_id("Gate", env["id"] + 1),
                "type": "wait_timer",
                "wait_timer": env["wait_timer"],
            }
        )
    if env["reviewers"]:
        rules.append(
            {
                "id": env["id"] + 2,
                "node_id": views.node_id("Gate", env["id"] + 2),
                "type": "required_reviewers",
                "prevent_self_review": bool(env.get("prevent_self_review")),
                "reviewers": reviewer_views(u, sb, env),
            }
        )
    if env.get("branch_policies"):
        rules.append(
            {"id": env["id"] + 3, "node_id": views.node_id("Gate", env["id"] + 3), "type": "branch_policy"}
        )
    out["protection_rules"] = rules
    out["deployment_branch_policy"] = (
        {"protected_branches": False, "custom_branch_policies": True} if env.get("branch_policies") else None
    )
    out["can_admins_bypass"] = True
    return out


@route("GET", R + "/environments")
def list_environments(ctx: Ctx) -> Any:
    envs = sorted(ctx.repo["environments"].values(), key=lambda e: e["name"])
    return {
        "total_count": len(envs),
        "environments": [env_view(ctx.urls, ctx.sb, ctx.repo, e) for e in ctx.paginate(envs)],
    }


def _env(ctx: Ctx) -> Record:
    env = ctx.repo["environments"].get(ctx.params["environment_name"])
    if env is None:
        raise errors.NotFound()
    return env


@route("GET", R + "/environments/{environment_name}")
def get_environment(ctx: Ctx) -> Any:
    return env_view(ctx.urls, ctx.sb, ctx.repo, _env(ctx))


@route("GET", R + "/environments/{environment_name}/deployment-branch-policies")
def list_branch_policies(ctx: Ctx) -> Any:
    policies = _env(ctx).get("branch_policies") or []
    return {
        "total_count": len(policies),
        "branch_policies": [
            {
                "id": p["id"],
                "node_id": views.node_id("GateBranchPolicy", p["id"]),
                "name": p["name"],
                "type": p.get("type", "branch"),
            }
            for p in ctx.paginate(policies)
        ],
    }
