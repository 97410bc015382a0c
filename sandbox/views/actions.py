"""Actions: workflows, workflow runs, their jobs, pending deployments and the review history."""

from __future__ import annotations

from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id
from sandbox.views.deployments import env_summary, reviewers
from sandbox.views.repos import repository
from sandbox.views.users import simple_user


def workflow(u: Urls, repo: Record, wf: Record) -> Record:
    file = wf["path"].rsplit("/", 1)[-1]
    return {
        "id": wf["id"],
        "node_id": node_id("Workflow", wf["id"]),
        "name": wf["name"],
        "path": wf["path"],
        "state": wf["state"],
        "created_at": iso(wf["created_at"]),
        "updated_at": iso(wf["created_at"]),
        "url": f"{u.repo(repo)}/actions/workflows/{wf['id']}",
        "html_url": f"{u.repo_html(repo)}/blob/{repo['default_branch']}/{wf['path']}",
        "badge_url": f"{u.repo_html(repo)}/workflows/{file}/badge.svg",
    }


def workflow_run(u: Urls, store: Store, repo: Record, run: Record) -> Record:
    url = f"{u.repo(repo)}/actions/runs/{run['id']}"
    wf = repo["workflows"][str(run["workflow_id"])]
    commit = store.git(repo).commit(run["head_sha"])
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
    minimal = repository(u, store, repo, full=False)
    actor = simple_user(u, store.user(run["actor"]))
    return {
        "id": run["id"],
        "name": wf["name"],
        "node_id": node_id("WorkflowRun", run["id"]),
        "check_suite_id": run["id"],
        "check_suite_node_id": node_id("CheckSuite", run["id"]),
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
        "triggering_actor": simple_user(u, store.user(run["triggering_actor"])),
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


def workflow_job(u: Urls, store: Store, repo: Record, run: Record, job: Record) -> Record:
    wf = repo["workflows"][str(run["workflow_id"])]
    return {
        "id": job["id"],
        "run_id": run["id"],
        "run_url": f"{u.repo(repo)}/actions/runs/{run['id']}",
        "run_attempt": run["run_attempt"],
        "node_id": node_id("CheckRun", job["id"]),
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


def pending_deployment(
    u: Urls, store: Store, repo: Record, run: Record, env: Record, can_approve: bool
) -> Record:
    return {
        "environment": {
            k: v
            for k, v in env_summary(u, repo, env).items()
            if k in ("id", "node_id", "name", "url", "html_url")
        },
        "wait_timer": int(env.get("wait_timer", 0)),
        "wait_timer_started_at": iso(run.get("waiting_since")),
        "current_user_can_approve": can_approve,
        "reviewers": reviewers(u, store, env),
    }


def approval(u: Urls, store: Store, repo: Record, given: Record) -> Record:
    """One entry of a run's review history: who approved or rejected which environments."""
    envs = [repo["environments"][n] for n in given["environments"] if n in repo["environments"]]
    return {
        "environments": [env_summary(u, repo, e) for e in envs],
        "state": given["state"],
        "user": simple_user(u, store.user(given["user"])),
        "comment": given["comment"],
    }
