"""Workflow runs: dispatch, the run state machine, reviews of pending deployments, re-runs, cancel.

A run's life: dispatch -> (branch not allowed by the environment: completed/failure at once)
-> waiting (pending deployment for the environment's reviewers) -> approved: in_progress with a
Deployment (statuses in_progress) -> after deploy_seconds completed success/failure; rejected or
cancelled: completed at once. A re-run is a new attempt that goes through the same steps.
"""

from __future__ import annotations

import operator
import time
from typing import Any

from sandbox import errors
from sandbox.core import Sandbox, timer
from sandbox.gitstore import HEADS, TAGS
from sandbox.models import deployments, events, protection, repo_rules, workflows
from sandbox.state import Record, Store, parse_iso

DEPLOY_FAIL = "[deploy-fail]"
NO_PENDING = "No pending deployment requests to approve or reject"
STATUSES = {"completed", "in_progress", "queued", "requested", "waiting", "pending", "action_required"}


def dispatch(sb: Sandbox, repo: Record, wf: Record, ref: str, inputs: Record, login: str) -> Record:
    """A workflow_dispatch run of `wf` at `ref`, started; 422/404 as GitHub answers a bad ref or file."""
    short = ref[len(HEADS) :] if ref.startswith(HEADS) else ref[len(TAGS) :] if ref.startswith(TAGS) else ref
    commit = sb.store.git(repo).resolve(ref)
    if commit is None:
        raise errors.Unprocessable(f"No ref found for: {ref}")
    sha = str(commit.id)
    doc = workflows.parse(sb, repo, sha, wf["path"])
    if doc is None:
        raise errors.NotFound(f"Workflow {wf['path']} not found on {ref}")
    if "workflow_dispatch" not in workflows.triggers(doc):
        raise errors.Unprocessable("Workflow does not have 'workflow_dispatch' trigger")
    now = time.time()
    number = 1 + sum(1 for r in repo["runs"].values() if r["workflow_id"] == wf["id"])
    run = sb.store.add(
        repo,
        "runs",
        workflow_id=wf["id"],
        run_number=number,
        run_attempt=1,
        event="workflow_dispatch",
        display_title=wf["name"],
        status="queued",
        conclusion=None,
        head_branch=short,
        head_sha=sha,
        actor=login,
        triggering_actor=login,
        inputs=inputs,
        created_at=now,
        updated_at=now,
        run_started_at=now,
        job_specs=workflows.jobs(doc),
        jobs=[],
        approvals=[],
    )
    start_attempt(sb, repo, run)
    return run


# -- listing


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


def matching(repo: Record, workflow_id: int | None, q: dict[str, str]) -> list[Record]:
    """The runs the list filters select (branch, event, actor, head_sha, status, created), newest first."""
    runs = list(repo["runs"].values())
    if workflow_id is not None:
        runs = [r for r in runs if r["workflow_id"] == workflow_id]
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
    return runs


# -- the run state machine


def _touch(sb: Sandbox, run: Record) -> None:
    run["updated_at"] = time.time()
    sb.store.touch()


def _complete(sb: Sandbox, repo: Record, run: Record, conclusion: str) -> None:
    now = time.time()
    for job in run["jobs"]:
        if job["status"] != "completed":
            job.update(status="completed", conclusion=conclusion, completed_at=now)
            job["started_at"] = job["started_at"] or now
    run.update(status="completed", conclusion=conclusion, waiting_env=None)
    _touch(sb, run)
    events.workflow_run(sb, repo, run, "completed")


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
    events.workflow_run(sb, repo, run, "requested")
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
        _complete(sb, repo, run, "failure")
        return
    if env is not None and env["reviewers"]:
        job["status"] = "waiting"
        run.update(status="waiting", waiting_env=env["name"], waiting_since=now)
        # GitHub creates the Deployment when the job starts waiting for its reviewers, not on approval:
        # the newest deployment of an environment is often one that never ran.
        dep = _deployment(sb, repo, run, job["environment"])
        deployments.add_status(sb, repo, dep, "waiting", run["actor"])
        _touch(sb, run)
        events.deployment_review(sb, repo, run, env, "requested", run["triggering_actor"])
        return
    _start_job(sb, repo, run, run["triggering_actor"])


def _deployment(sb: Sandbox, repo: Record, run: Record, environment: str) -> Record:
    dep = deployments.create(
        sb,
        repo,
        environment,
        run["head_branch"] or run["head_sha"],
        run["head_sha"],
        run["actor"],
        run_id=run["id"],
    )
    dep["run_attempt"] = run["run_attempt"]
    run["deployment_id"] = dep["id"]
    return dep


def _waiting_deployment(repo: Record, run: Record) -> Record | None:
    """The Deployment this attempt made when it began to wait for reviewers, if any."""
    dep = repo["deployments"].get(str(run.get("deployment_id")))
    if dep is None or dep.get("run_id") != run["id"] or dep.get("run_attempt") != run["run_attempt"]:
        return None
    return dep


def _start_job(sb: Sandbox, repo: Record, run: Record, actor: str | None) -> Record | None:
    now = time.time()
    job = run["jobs"][0]
    job.update(status="in_progress", started_at=now)
    run.update(status="in_progress", waiting_env=None)
    events.workflow_run(sb, repo, run, "in_progress")
    dep = None
    if job["environment"]:
        dep = _waiting_deployment(repo, run)
        if dep is not None:
            deployments.add_status(sb, repo, dep, "queued", actor or run["actor"])
        else:
            dep = _deployment(sb, repo, run, job["environment"])
        deployments.add_status(sb, repo, dep, "in_progress", run["actor"])
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
        if not failed:
            deployments.supersede(sb, repo, dep, run["actor"])
    _complete(sb, repo, run, conclusion)


# -- pending deployments and their reviewers


def waiting_for(repo: Record, run: Record) -> Record | None:
    """The environment whose reviewers the run waits for, if it waits."""
    if run["status"] != "waiting" or not run.get("waiting_env"):
        return None
    return repo["environments"][run["waiting_env"]]


def can_approve(store: Store, env: Record, run: Record, login: str) -> bool:
    if not repo_rules.is_reviewer(store, env, login):
        return False
    return not (env.get("prevent_self_review") and login == run["triggering_actor"])


def review(
    sb: Sandbox, repo: Record, run: Record, login: str, env_ids: list[int], state: str, comment: str
) -> Record | None:
    """Approve or reject the run's pending deployment; the Deployment an approval starts, if any."""
    env = repo["environments"].get(run.get("waiting_env") or "")
    if (
        run["status"] != "waiting"
        or env is None
        or env["id"] not in env_ids
        or not can_approve(sb.store, env, run, login)
    ):
        # GitHub only lets a user act on the pending deployments they may review.
        # GitHub: 422 "Validation Failed" with the reason as a bare string in `errors`.
        raise errors.Unprocessable(errors=NO_PENDING)
    run["approvals"].append(
        {
            "environments": [env["name"]],
            "state": state,
            "user": login,
            "comment": comment,
            "attempt": run["run_attempt"],
            "at": time.time(),
        }
    )
    events.deployment_review(sb, repo, run, env, state, login, comment)
    if state == "rejected":
        dep = _waiting_deployment(repo, run)
        if dep is not None:
            deployments.add_status(sb, repo, dep, "failure", login, "Deployment rejected")
        _complete(sb, repo, run, "failure")
        return None
    return _start_job(sb, repo, run, login)


# -- re-runs and cancel


def rerun(sb: Sandbox, repo: Record, run: Record, login: str, failed_only: bool) -> None:
    if run["status"] != "completed":
        raise errors.Forbidden("This workflow is already running")
    if failed_only and run["conclusion"] == "success":
        raise errors.Forbidden("This workflow run has no failed jobs")
    run["run_attempt"] += 1
    run["triggering_actor"] = login
    # The new attempt reads the workflow as it was at the run's commit, like GitHub.
    start_attempt(sb, repo, run)


def cancel(sb: Sandbox, repo: Record, run: Record) -> None:
    if run["status"] == "completed":
        raise errors.Conflict("Cannot cancel a workflow run that is completed.")
    dep = repo["deployments"].get(str(run.get("deployment_id")))
    if run["status"] == "in_progress" and dep is not None and dep.get("run_id") == run["id"]:
        deployments.add_status(sb, repo, dep, "failure", run["actor"], "Cancelled")
    _complete(sb, repo, run, "cancelled")
