"""Actions: workflows, workflow_dispatch, runs that wait for environment reviewers, re-runs, jobs.

A run's life: dispatch -> (branch not allowed by the environment: completed/failure at once)
-> waiting (pending deployment for the environment's reviewers) -> approved: in_progress with a
Deployment (statuses in_progress) -> after deploy_seconds completed success/failure; rejected or
cancelled: completed at once. A re-run is a new attempt that goes through the same steps.
"""

from __future__ import annotations

import operator
import time
from typing import Any

import yaml

from sandbox import errors, protection, views
from sandbox.api import deployments
from sandbox.core import Sandbox, timer
from sandbox.gitstore import HEADS, TAGS
from sandbox.routing import Ctx, Reply, route
from sandbox.state import Record, iso, parse_iso
from sandbox.views import Urls

R = "/repos/{owner}/{repo}"
DEPLOY_FAIL = "[deploy-fail]"
NO_PENDING = "No pending deployment requests to approve or reject"


# -- views


def workflow_view(u: Urls, repo: Record, wf: Record) -> Record:
    file = wf["path"].rsplit("/", 1)[-1]
    return {
        "id": wf["id"],
        "node_id": views.node_id("Workflow", wf["id"]),
        "name": wf["name"],
        "path": wf["path"],
        "state": wf["state"],
        "created_at": iso(wf["created_at"]),
        "updated_at": iso(wf["created_at"]),
        "url": f"{u.repo(repo)}/actions/workflows/{wf['id']}",
        "html_url": f"{u.repo_html(repo)}/blob/{repo['default_branch']}/{wf['path']}",
        "badge_url": f"{u.repo_html(repo)}/workflows/{file}/badge.svg",
    }


def run_view(u: Urls, sb: Sandbox, repo: Record, run: Record) -> Record:
    url = f"{u.repo(repo)}/actions/runs/{run['id']}"
    wf = repo["workflows"][str(run["workflow_id"])]
    commit = sb.store.git(repo).commit(run["head_sha"])
    head_commit = None
    if commit is not None:
        head_commit = {
            "id": run["head_sha"],
            "tree_id": str(commit.tree_id),
            "message": commit.message,
            "timestamp": iso(commit.committer.time),
            "author": {"name": commit.author.name, "email": commit.author.email},
            "committer": {"name": commit.committer.name, "email": commit.committer.email},
        }
    minimal = views.repository(u, sb.store, repo, full=False)
    actor = views.simple_user(u, sb.store.user(run["actor"]))
    return {
        "id": run["id"],
        "name": wf["name"],
        "node_id": views.node_id("WorkflowRun", run["id"]),
        "check_suite_id": run["id"],
        "check_suite_node_id": views.node_id("CheckSuite", run["id"]),
        "head_branch": run["head_branch"],
        "head_sha": run["head_sha"],
        "path": wf["path"],
        "run_number": run["run_number"],
        "run_attempt": run["run_attempt"],
        "event": run["event"],
        "display_title": run["display_title"],
        "status": run["status"],
        "conclusion": run["conclusion"],
        "workflow_id": run["workflow_id"],
        "url": url,
        "html_url": f"{u.repo_html(repo)}/actions/runs/{run['id']}",
        "pull_requests": [],
        "created_at": iso(run["created_at"]),
        "updated_at": iso(run["updated_at"]),
        "run_started_at": iso(run["run_started_at"]),
        "actor": actor,
        "triggering_actor": views.simple_user(u, sb.store.user(run["triggering_actor"])),
        "jobs_url": f"{url}/jobs",
        "logs_url": f"{url}/logs",
        "check_suite_url": f"{u.repo(repo)}/check-suites/{run['id']}",
        "artifacts_url": f"{url}/artifacts",
        "cancel_url": f"{url}/cancel",
        "rerun_url": f"{url}/rerun",
        "previous_attempt_url": f"{url}/attempts/{run['run_attempt'] - 1}"
        if run["run_attempt"] > 1
        else None,
        "workflow_url": f"{u.repo(repo)}/actions/workflows/{run['workflow_id']}",
        "head_commit": head_commit,
        "repository": minimal,
        "head_repository": minimal,
    }


def job_view(u: Urls, sb: Sandbox, repo: Record, run: Record, job: Record) -> Record:
    wf = repo["workflows"][str(run["workflow_id"])]
    return {
        "id": job["id"],
        "run_id": run["id"],
        "run_url": f"{u.repo(repo)}/actions/runs/{run['id']}",
        "run_attempt": run["run_attempt"],
        "node_id": views.node_id("CheckRun", job["id"]),
        "head_sha": run["head_sha"],
        "url": f"{u.repo(repo)}/actions/jobs/{job['id']}",
        "html_url": f"{u.repo_html(repo)}/actions/runs/{run['id']}/job/{job['id']}",
        "status": job["status"],
        "conclusion": job["conclusion"],
        "created_at": iso(job["created_at"]),
        "started_at": iso(job["started_at"] or job["created_at"]),
        "completed_at": iso(job["completed_at"]),
        "name": job["name"],
        "steps": [],
        "check_run_url": f"{u.repo(repo)}/check-runs/{job['id']}",
        "labels": ["ubuntu-latest"],
        "runner_id": None,
        "runner_name": None,
        "runner_group_id": None,
        "runner_group_name": None,
        "workflow_name": wf["name"],
        "head_branch": run["head_branch"],
    }


# -- workflow files


def _workflow(ctx: Ctx) -> Record:
    key = ctx.params["workflow_id"]
    for wf in ctx.repo["workflows"].values():
        if str(wf["id"]) == key or wf["path"].rsplit("/", 1)[-1] == key:
            return wf
    raise errors.NotFound()


def _parse(sb: Sandbox, repo: Record, sha: str, path: str) -> Record | None:
    blob = sb.store.git(repo).read_path(sha, path)
    if blob is None:
        return None
    try:
        doc = yaml.safe_load(blob.data)
    except yaml.YAMLError:
        return None
    return doc if isinstance(doc, dict) else None


def _triggers(doc: Record) -> set[str]:
    # YAML 1.1 reads the key `on` as True.
    on = doc["on"] if "on" in doc else doc.get(True)  # type: ignore[call-overload]
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(x) for x in on}
    if isinstance(on, dict):
        return {str(x) for x in on}
    return set()


def _jobs(doc: Record) -> list[tuple[str, str | None]]:
    out = []
    for name, job in (doc.get("jobs") or {}).items():
        env = job.get("environment") if isinstance(job, dict) else None
        if isinstance(env, dict):
            env = env.get("name")
        out.append((str(name), str(env) if env else None))
    return out or [("build", None)]


# -- the run state machine


def _touch(sb: Sandbox, run: Record) -> None:
    run["updated_at"] = time.time()
    sb.store.touch()


def _complete(sb: Sandbox, run: Record, conclusion: str) -> None:
    now = time.time()
    for job in run["jobs"]:
        if job["status"] != "completed":
            job.update(status="completed", conclusion=conclusion, completed_at=now)
            job["started_at"] = job["started_at"] or now
    run.update(status="completed", conclusion=conclusion, waiting_env=None)
    _touch(sb, run)


def start_attempt(sb: Sandbox, repo: Record, run: Record) -> None:
    now = time.time()
    run.update(status="queued", conclusion=None, run_started_at=now, waiting_env=None)
    run["jobs"] = [
        {
            "id": sb.store.new_id(),
            "name": name,
            "environment": env,
            "status": "queued",
            "conclusion": None,
            "created_at": now,
            "started_at": None,
            "completed_at": None,
        }
        for name, env in run["job_specs"]
    ]
    job = run["jobs"][0]
    env = repo["environments"].get(job["environment"]) if job["environment"] else None
    if job["environment"] and env is None:
        # GitHub creates an environment on first use; the sandbox only knows seeded ones.
        env = None
    if env is not None and not protection.env_allows(env, run["head_branch"]):
        run["failure_reason"] = (
            f'Branch "{run["head_branch"]}" is not allowed to deploy to {env["name"]} '
            "due to environment protection rules."
        )
        _complete(sb, run, "failure")
        return
    if env is not None and env["reviewers"]:
        job["status"] = "waiting"
        run.update(status="waiting", waiting_env=env["name"], waiting_since=now)
        _touch(sb, run)
        return
    _start_job(sb, repo, run, run["triggering_actor"])


def _start_job(sb: Sandbox, repo: Record, run: Record, actor: str | None) -> Record | None:
    now = time.time()
    job = run["jobs"][0]
    job.update(status="in_progress", started_at=now)
    run.update(status="in_progress", waiting_env=None)
    dep = None
    if job["environment"]:
        dep = deployments.create(
            sb,
            repo,
            job["environment"],
            run["head_branch"] or run["head_sha"],
            run["head_sha"],
            run["actor"],
            run_id=run["id"],
        )
        deployments.add_status(sb, repo, dep, "in_progress", run["actor"])
        run["deployment_id"] = dep["id"]
    _touch(sb, run)
    sb.schedule("job_complete", repo, run["id"], sb.deploy_seconds, attempt=run["run_attempt"])
    return dep


@timer("job_complete")
def _job_complete(sb: Sandbox, repo: Record, t: Record) -> None:
    run = repo["runs"].get(str(t["target"]))
    if run is None or run["run_attempt"] != t.get("attempt") or run["status"] != "in_progress":
        return
    commit = sb.store.git(repo).commit(run["head_sha"])
    failed = commit is not None and DEPLOY_FAIL in commit.message
    conclusion = "failure" if failed else "success"
    dep = repo["deployments"].get(str(run.get("deployment_id")))
    if dep is not None and dep.get("run_id") == run["id"]:
        deployments.add_status(
            sb, repo, dep, conclusion, run["actor"], "Deployment failed" if failed else "Deployment succeeded"
        )
    _complete(sb, run, conclusion)


def _pending(u: Urls, sb: Sandbox, repo: Record, run: Record, login: str) -> list[Record]:
    if run["status"] != "waiting" or not run.get("waiting_env"):
        return []
    env = repo["environments"][run["waiting_env"]]
    return [
        {
            "environment": {
                k: v
                for k, v in deployments.env_summary(u, repo, env).items()
                if k in ("id", "node_id", "name", "url", "html_url")
            },
            "wait_timer": int(env.get("wait_timer", 0)),
            "wait_timer_started_at": iso(run.get("waiting_since")),
            "current_user_can_approve": _can_approve(env, run, login),
            "reviewers": deployments.reviewer_views(u, sb, env),
        }
    ]


def _can_approve(env: Record, run: Record, login: str) -> bool:
    if login not in env["reviewers"]:
        return False
    return not (env.get("prevent_self_review") and login == run["triggering_actor"])


# -- handlers


@route("GET", R + "/actions/workflows")
def list_workflows(ctx: Ctx) -> Any:
    wfs = sorted(ctx.repo["workflows"].values(), key=lambda w: w["id"])
    return {
        "total_count": len(wfs),
        "workflows": [workflow_view(ctx.urls, ctx.repo, w) for w in ctx.paginate(wfs)],
    }


@route("GET", R + "/actions/workflows/{workflow_id}")
def get_workflow(ctx: Ctx) -> Any:
    return workflow_view(ctx.urls, ctx.repo, _workflow(ctx))


@route("POST", R + "/actions/workflows/{workflow_id}/dispatches")
def dispatch(ctx: Ctx) -> Any:
    wf = _workflow(ctx)
    ref = str(ctx.field("ref", "WorkflowDispatch"))
    inputs = ctx.field("inputs", required=False) or {}
    if not isinstance(inputs, dict):
        raise errors.Unprocessable("For 'properties/inputs', must be an object.")
    short = ref[len(HEADS) :] if ref.startswith(HEADS) else ref[len(TAGS) :] if ref.startswith(TAGS) else ref
    commit = ctx.git.resolve(ref)
    if commit is None:
        raise errors.Unprocessable(f"No ref found for: {ref}")
    sha = str(commit.id)
    doc = _parse(ctx.sb, ctx.repo, sha, wf["path"])
    if doc is None:
        raise errors.NotFound(f"Workflow {wf['path']} not found on {ref}")
    if "workflow_dispatch" not in _triggers(doc):
        raise errors.Unprocessable("Workflow does not have 'workflow_dispatch' trigger")
    now = time.time()
    number = 1 + sum(1 for r in ctx.repo["runs"].values() if r["workflow_id"] == wf["id"])
    run: Record = {
        "id": ctx.store.new_id(),
        "workflow_id": wf["id"],
        "run_number": number,
        "run_attempt": 1,
        "event": "workflow_dispatch",
        "display_title": wf["name"],
        "status": "queued",
        "conclusion": None,
        "head_branch": short,
        "head_sha": sha,
        "actor": ctx.login,
        "triggering_actor": ctx.login,
        "inputs": inputs,
        "created_at": now,
        "updated_at": now,
        "run_started_at": now,
        "job_specs": _jobs(doc),
        "jobs": [],
        "approvals": [],
    }
    ctx.repo["runs"][str(run["id"])] = run
    start_attempt(ctx.sb, ctx.repo, run)
    if ctx.field("return_run_details", required=False):
        return {
            "workflow_run_id": run["id"],
            "run_url": f"{ctx.urls.repo(ctx.repo)}/actions/runs/{run['id']}",
            "html_url": f"{ctx.urls.repo_html(ctx.repo)}/actions/runs/{run['id']}",
        }
    return Reply(204)


STATUSES = {"completed", "in_progress", "queued", "requested", "waiting", "pending", "action_required"}


def _created_filter(spec: str) -> Any:
    spec = spec.strip()
    for op, test in ((">=", operator.ge), ("<=", operator.le), (">", operator.gt), ("<", operator.lt)):
        if spec.startswith(op):
            at = parse_iso(spec[len(op) :])
            return lambda t, test=test, at=at: test(t, at)
    if ".." in spec:
        lo, hi = spec.split("..", 1)
        lo_t = parse_iso(lo) if lo != "*" else float("-inf")
        hi_t = parse_iso(hi) + (86400 if len(hi) == 10 else 0) if hi != "*" else float("inf")
        return lambda t: lo_t <= t <= hi_t
    at = parse_iso(spec)
    end = at + (86400 if len(spec) == 10 else 1)
    return lambda t: at <= t < end


def _runs(ctx: Ctx, workflow_id: int | None) -> Any:
    runs = list(ctx.repo["runs"].values())
    if workflow_id is not None:
        runs = [r for r in runs if r["workflow_id"] == workflow_id]
    q = ctx.query
    if q.get("branch"):
        runs = [r for r in runs if r["head_branch"] == q["branch"]]
    if q.get("event"):
        runs = [r for r in runs if r["event"] == q["event"]]
    if q.get("actor"):
        runs = [r for r in runs if r["actor"] == q["actor"]]
    if q.get("head_sha"):
        runs = [r for r in runs if r["head_sha"] == q["head_sha"]]
    if q.get("status"):
        key = "status" if q["status"] in STATUSES else "conclusion"
        runs = [r for r in runs if r[key] == q["status"]]
    if q.get("created"):
        try:
            keep = _created_filter(q["created"])
        except ValueError:
            raise errors.Unprocessable(f"Invalid created filter: {q['created']}") from None
        runs = [r for r in runs if keep(int(r["created_at"]))]
    runs.sort(key=lambda r: -r["id"])
    return {
        "total_count": len(runs),
        "workflow_runs": [run_view(ctx.urls, ctx.sb, ctx.repo, r) for r in ctx.paginate(runs)],
    }


@route("GET", R + "/actions/workflows/{workflow_id}/runs")
def list_workflow_runs(ctx: Ctx) -> Any:
    return _runs(ctx, _workflow(ctx)["id"])


@route("GET", R + "/actions/runs")
def list_repo_runs(ctx: Ctx) -> Any:
    return _runs(ctx, None)


def _run(ctx: Ctx) -> Record:
    run = ctx.repo["runs"].get(ctx.params["run_id"])
    if run is None:
        raise errors.NotFound()
    return run


@route("GET", R + "/actions/runs/{run_id}")
def get_run(ctx: Ctx) -> Any:
    return run_view(ctx.urls, ctx.sb, ctx.repo, _run(ctx))


@route("GET", R + "/actions/runs/{run_id}/jobs")
def list_jobs(ctx: Ctx) -> Any:
    run = _run(ctx)
    jobs = run["jobs"]
    return {
        "total_count": len(jobs),
        "jobs": [job_view(ctx.urls, ctx.sb, ctx.repo, run, j) for j in ctx.paginate(jobs)],
    }


@route("GET", R + "/actions/runs/{run_id}/pending_deployments")
def get_pending(ctx: Ctx) -> Any:
    return _pending(ctx.urls, ctx.sb, ctx.repo, _run(ctx), ctx.login)


@route("POST", R + "/actions/runs/{run_id}/pending_deployments")
def review_pending(ctx: Ctx) -> Any:
    run = _run(ctx)
    env_ids = [int(i) for i in ctx.field("environment_ids", "DeploymentReview")]
    state = str(ctx.field("state", "DeploymentReview"))
    comment = str(ctx.field("comment", "DeploymentReview", required=False) or "")
    if state not in ("approved", "rejected"):
        raise errors.Unprocessable(
            errors=[{"resource": "DeploymentReview", "field": "state", "code": "invalid"}]
        )
    env = ctx.repo["environments"].get(run.get("waiting_env") or "")
    if (
        run["status"] != "waiting"
        or env is None
        or env["id"] not in env_ids
        or not _can_approve(env, run, ctx.login)
    ):
        # GitHub only lets a user act on the pending deployments they may review.
        raise errors.Unprocessable(NO_PENDING)
    run["approvals"].append(
        {
            "environments": [env["name"]],
            "state": state,
            "user": ctx.login,
            "comment": comment,
            "attempt": run["run_attempt"],
            "at": time.time(),
        }
    )
    if state == "rejected":
        _complete(ctx.sb, run, "failure")
        return []
    dep = _start_job(ctx.sb, ctx.repo, run, ctx.login)
    return [deployments.deployment_view(ctx.urls, ctx.sb, ctx.repo, dep)] if dep else []


@route("GET", R + "/actions/runs/{run_id}/approvals")
def list_approvals(ctx: Ctx) -> Any:
    run = _run(ctx)
    out = []
    for a in run["approvals"]:
        envs = [ctx.repo["environments"][n] for n in a["environments"] if n in ctx.repo["environments"]]
        out.append(
            {
                "environments": [deployments.env_summary(ctx.urls, ctx.repo, e) for e in envs],
                "state": a["state"],
                "user": views.simple_user(ctx.urls, ctx.store.user(a["user"])),
                "comment": a["comment"],
            }
        )
    return out


def _rerun(ctx: Ctx, failed_only: bool) -> Any:
    run = _run(ctx)
    if run["status"] != "completed":
        raise errors.Forbidden("This workflow is already running")
    if failed_only and run["conclusion"] == "success":
        raise errors.Forbidden("This workflow run has no failed jobs")
    run["run_attempt"] += 1
    run["triggering_actor"] = ctx.login
    # The new attempt reads the workflow as it was at the run's commit, like GitHub.
    start_attempt(ctx.sb, ctx.repo, run)
    return Reply(201, {})


@route("POST", R + "/actions/runs/{run_id}/rerun")
def rerun(ctx: Ctx) -> Any:
    return _rerun(ctx, failed_only=False)


@route("POST", R + "/actions/runs/{run_id}/rerun-failed-jobs")
def rerun_failed(ctx: Ctx) -> Any:
    return _rerun(ctx, failed_only=True)


@route("POST", R + "/actions/runs/{run_id}/cancel")
def cancel(ctx: Ctx) -> Any:
    run = _run(ctx)
    if run["status"] == "completed":
        raise errors.Conflict("Cannot cancel a workflow run that is completed.")
    dep = ctx.repo["deployments"].get(str(run.get("deployment_id")))
    if run["status"] == "in_progress" and dep is not None and dep.get("run_id") == run["id"]:
        deployments.add_status(ctx.sb, ctx.repo, dep, "failure", run["actor"], "Cancelled")
    _complete(ctx.sb, run, "cancelled")
    return Reply(202, {})
