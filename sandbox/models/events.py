"""The webhook events the models raise where GitHub would (sandbox/webhooks.py delivers them).

Each function is called right where the state changes, so its payload shows the state of that
moment; nothing is built when nobody listens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox import webhooks
from sandbox.core import Sandbox
from sandbox.gitstore import HEADS, TAGS
from sandbox.state import Record, iso
from sandbox.views import Urls
from sandbox.views import actions as actions_view
from sandbox.views import checks as checks_view
from sandbox.views import deployments as deployments_view
from sandbox.views import events as events_view
from sandbox.views import pulls as pulls_view
from sandbox.views.users import simple_user

SUITE_ONLY_ALONE = (
    "check_runs_url",
    "head_commit",
    "latest_check_runs_count",
    "repository",
    "rerequestable",
    "runs_rerequestable",
)
# A deployment event's run is a short one: these fields of the REST run only.
DEPLOYMENT_RUN = (
    "actor",
    "check_suite_id",
    "check_suite_node_id",
    "conclusion",
    "created_at",
    "display_title",
    "event",
    "head_branch",
    "head_sha",
    "html_url",
    "id",
    "name",
    "node_id",
    "path",
    "pull_requests",
    "referenced_workflows",
    "run_attempt",
    "run_number",
    "run_started_at",
    "status",
    "triggering_actor",
    "updated_at",
    "url",
    "workflow_id",
)
# models.pulls.details, set by that module (it imports this one, not the other way round).
DETAILS: Callable[[Sandbox, Record, Record], Record] | None = None


def push(
    sb: Sandbox, repo: Record, full_ref: str, before: str | None, after: str | None, pusher: str | None
) -> None:
    if not full_ref.startswith((HEADS, TAGS)) or before == after:
        return

    def build(u: Urls) -> Record:
        git = sb.store.git(repo)
        return events_view.push(u, sb.store, repo, git, full_ref, before, after, sb.store.user(pusher or ""))

    webhooks.emit(sb, repo, "push", None, pusher, build)


def pull_request(
    sb: Sandbox, repo: Record, pr: Record, action: str, sender: str | None, **extra: Any
) -> None:
    def build(u: Urls) -> Record:
        body: Record = {
            "number": pr["number"],
            "pull_request": pulls_view.pull_request(u, sb.store, repo, pr, _details(sb, repo, pr)),
        }
        for key, value in extra.items():
            body[key] = value
        return body

    webhooks.emit(sb, repo, "pull_request", action, sender, build)


def _details(sb: Sandbox, repo: Record, pr: Record) -> Record | None:
    return None if DETAILS is None else DETAILS(sb, repo, pr)


def pull_request_review(
    sb: Sandbox, repo: Record, pr: Record, review: Record, action: str, sender: str | None
) -> None:
    def build(u: Urls) -> Record:
        return {
            # Webhooks name review states in lower case; the PR is the short one (as in lists).
            "review": {**pulls_view.review(u, sb.store, repo, review), "state": review["state"].lower()},
            "pull_request": pulls_view.pull_request(u, sb.store, repo, pr, None),
        }

    webhooks.emit(sb, repo, "pull_request_review", action, sender, build)


def check_run(sb: Sandbox, repo: Record, run: Record, action: str, suite: Record, runs: int) -> None:
    sender = f"{run.get('app') or 'github-actions'}[bot]"

    def build(u: Urls) -> Record:
        out = checks_view.check_run(u, sb.store, repo, run)
        whole = checks_view.check_suite(u, sb.store, repo, suite, runs)
        # The suite inside a check_run event is the short one.
        out["check_suite"] = {k: v for k, v in whole.items() if k not in SUITE_ONLY_ALONE}
        return {"check_run": out}

    webhooks.emit(sb, repo, "check_run", action, sender, build)


def check_suite(sb: Sandbox, repo: Record, suite: Record, action: str, runs: int) -> None:
    sender = f"{suite.get('app') or 'github-actions'}[bot]"

    def build(u: Urls) -> Record:
        whole = checks_view.check_suite(u, sb.store, repo, suite, runs)
        return {"check_suite": {k: v for k, v in whole.items() if k != "repository"}}

    webhooks.emit(sb, repo, "check_suite", action, sender, build)


def status(sb: Sandbox, repo: Record, st: Record) -> None:
    def build(u: Urls) -> Record:
        git = sb.store.git(repo)
        commit = git.commit(st["sha"])
        branches = [
            {
                "name": name,
                "commit": {"sha": sha, "url": f"{u.repo(repo)}/commits/{sha}"},
                "protected": False,
            }
            for name, sha in git.branches()
            if sha == st["sha"]
        ]
        view = checks_view.status(u, sb.store, repo, st)
        return {
            "id": st["id"],
            "sha": st["sha"],
            "name": repo["full_name"],
            "avatar_url": view["avatar_url"],
            "target_url": st.get("target_url"),
            "context": st["context"],
            "description": st.get("description"),
            "state": st["state"],
            "commit": _status_commit(u, sb, repo, commit),
            "branches": branches,
            "created_at": iso(st["created_at"]),
            "updated_at": iso(st["created_at"]),
        }

    webhooks.emit(sb, repo, "status", None, st["creator"], build)


def _status_commit(u: Urls, sb: Sandbox, repo: Record, commit: object) -> Record:
    from sandbox.views.commits import commit as commit_view

    out = commit_view(u, sb.store, repo, commit)  # type: ignore[arg-type]
    # A status event's commit has no `verified_at` in its verification (the REST one has).
    out["commit"]["verification"].pop("verified_at", None)
    return out


def workflow_run(sb: Sandbox, repo: Record, run: Record, action: str) -> None:
    def build(u: Urls) -> Record:
        wf = repo["workflows"][str(run["workflow_id"])]
        return {
            "workflow_run": actions_view.workflow_run(u, sb.store, repo, run),
            "workflow": actions_view.workflow(u, repo, wf),
        }

    webhooks.emit(sb, repo, "workflow_run", action, run.get("triggering_actor"), build)


def deployment_review(
    sb: Sandbox, repo: Record, run: Record, env: Record, action: str, sender: str | None, comment: str = ""
) -> None:
    def build(u: Urls) -> Record:
        job = next(
            (j for j in run["jobs"] if j.get("environment") == env["name"]),
            run["jobs"][0] if run["jobs"] else None,
        )
        out: Record = {
            "workflow_run": actions_view.workflow_run(u, sb.store, repo, run),
            "since": iso(run.get("waiting_since") or run["created_at"]),
        }
        job_run = {
            "id": (job or {}).get("id", run["id"]),
            "name": (job or {}).get("name", ""),
            "status": (job or {}).get("status", run["status"]),
            "conclusion": (job or {}).get("conclusion"),
            "environment": env["name"],
            "html_url": f"{u.repo_html(repo)}/actions/runs/{run['id']}",
            "created_at": iso((job or {}).get("created_at") or run["created_at"]),
            "updated_at": iso(run["updated_at"]),
        }
        if action == "requested":
            out["environment"] = env["name"]
            out["workflow_job_run"] = job_run
            out["reviewers"] = [
                {"type": r["type"], "reviewer": r["reviewer"]}
                for r in deployments_view.reviewers(u, sb.store, env)
            ]
            out["requestor"] = simple_user(u, sb.store.user(run.get("triggering_actor") or ""))
        else:
            out["workflow_job_runs"] = [job_run]
            out["approver"] = simple_user(u, sb.store.user(sender or ""))
            out["comment"] = comment
            out["reviewers"] = [
                {"type": r["type"], "reviewer": r["reviewer"]}
                for r in deployments_view.reviewers(u, sb.store, env)
            ]
        return out

    webhooks.emit(sb, repo, "deployment_review", action, sender, build)


def deployment_status(sb: Sandbox, repo: Record, dep: Record, st: Record) -> None:
    def build(u: Urls) -> Record:
        out: Record = {
            "deployment_status": deployments_view.deployment_status(u, sb.store, repo, st),
            "deployment": deployments_view.deployment(u, sb.store, repo, dep),
        }
        run = repo["runs"].get(str(dep.get("run_id")))
        if run is not None:
            wf = repo["workflows"][str(run["workflow_id"])]
            whole = actions_view.workflow_run(u, sb.store, repo, run)
            out["workflow_run"] = {k: v for k, v in whole.items() if k in DEPLOYMENT_RUN}
            out["workflow"] = actions_view.workflow(u, repo, wf)
        return out

    webhooks.emit(sb, repo, "deployment_status", "created", st.get("creator"), build)
