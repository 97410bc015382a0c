"""Check runs and check suites (each naming its app), commit statuses, and apps as GitHub shows them."""

from __future__ import annotations

from sandbox.models.permissions import ACTIONS_APP, app_of
from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id
from sandbox.views.repos import repository
from sandbox.views.users import simple_user


def app(u: Urls, store: Store, slug: str | None) -> Record | None:
    found = store.data.get("apps", {}).get(slug or "")
    if found is None:
        return None
    owner = found["owner"]
    return {
        "id": found["id"],
        "slug": found["slug"],
        "node_id": found.get("node_id") or node_id("App", found["id"]),
        "owner": simple_user(
            u, {"login": owner["login"], "id": owner["id"], "type": owner.get("type", "Organization")}
        ),
        "name": found["name"],
        "description": found.get("description"),
        "external_url": found.get("external_url") or f"{u.web}/apps/{found['slug']}",
        "html_url": f"{u.web}/apps/{found['slug']}",
        "created_at": iso(found["created_at"]),
        "updated_at": iso(found["updated_at"]),
        "permissions": dict(found.get("permissions") or {}),
        "events": list(found.get("events") or []),
    }


def performed_via(u: Urls, store: Store, login: str | None, by_run: bool = False) -> Record | None:
    """GitHub's `performed_via_github_app`: the App a bot acted for (GitHub Actions for what a
    workflow run made), null for a user's token."""
    if by_run:
        return app(u, store, ACTIONS_APP)
    found = app_of(store, store.user(login or ""))
    return None if found is None else app(u, store, found["slug"])


def check_run(u: Urls, store: Store, repo: Record, cr: Record) -> Record:
    base = u.repo(repo)
    return {
        "id": cr["id"],
        "node_id": node_id("CheckRun", cr["id"]),
        "head_sha": cr["head_sha"],
        "external_id": str(cr["id"]),
        "url": f"{base}/check-runs/{cr['id']}",
        "html_url": f"{u.repo_html(repo)}/runs/{cr['id']}",
        "details_url": f"{u.repo_html(repo)}/runs/{cr['id']}",
        "status": cr["status"],
        "conclusion": cr["conclusion"],
        "started_at": iso(cr["started_at"]),
        "completed_at": iso(cr["completed_at"]),
        "output": {
            "title": cr.get("title"),
            "summary": cr.get("summary"),
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{base}/check-runs/{cr['id']}/annotations",
        },
        "name": cr["name"],
        "check_suite": {"id": cr.get("suite") or cr["id"]},
        "app": app(u, store, cr.get("app") or "github-actions"),
        "pull_requests": [],
    }


def check_suite(u: Urls, store: Store, repo: Record, suite: Record, runs: int) -> Record:
    base = u.repo(repo)
    commit = store.git(repo).commit(suite["head_sha"])
    head_commit = None
    if commit is not None:
        head_commit = {
            "id": suite["head_sha"],
            "tree_id": str(commit.tree_id),
            "message": commit.message,
            "timestamp": iso(commit.committer.time),
            "author": {"name": commit.author.name, "email": commit.author.email},
            "committer": {"name": commit.committer.name, "email": commit.committer.email},
        }
    return {
        "id": suite["id"],
        "node_id": node_id("CheckSuite", suite["id"]),
        "head_branch": suite.get("head_branch"),
        "head_sha": suite["head_sha"],
        "status": suite["status"],
        "conclusion": suite["conclusion"],
        "url": f"{base}/check-suites/{suite['id']}",
        "before": suite.get("before"),
        "after": suite["head_sha"],
        "pull_requests": [],
        "app": app(u, store, suite["app"]),
        "repository": repository(u, store, repo, full=False),
        "created_at": iso(suite["created_at"]),
        "updated_at": iso(suite["updated_at"]),
        "head_commit": head_commit,
        "latest_check_runs_count": runs,
        "check_runs_url": f"{base}/check-suites/{suite['id']}/check-runs",
        "rerequestable": True,
        "runs_rerequestable": True,
    }


def status(u: Urls, store: Store, repo: Record, st: Record) -> Record:
    return {
        "url": f"{u.repo(repo)}/statuses/{st['sha']}",
        "avatar_url": None,
        "id": st["id"],
        "node_id": node_id("StatusContext", st["id"]),
        "state": st["state"],
        "description": st.get("description"),
        "target_url": st.get("target_url"),
        "context": st["context"],
        "created_at": iso(st["created_at"]),
        "updated_at": iso(st["created_at"]),
        "creator": simple_user(u, store.user(st["creator"])),
    }
