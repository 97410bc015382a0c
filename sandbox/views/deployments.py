"""Deployments, deployment statuses, environments (with their protection rules) and branch policies."""

from __future__ import annotations

from sandbox.models import permissions, repo_rules
from sandbox.state import Record, Store, iso
from sandbox.views import Urls, node_id
from sandbox.views.checks import performed_via
from sandbox.views.users import simple_user, team


def deployment(u: Urls, store: Store, repo: Record, dep: Record) -> Record:
    url = f"{u.repo(repo)}/deployments/{dep['id']}"
    return {
        "url": url,
        "id": dep["id"],
        "node_id": node_id("Deployment", dep["id"]),
        "sha": dep["sha"],
        "ref": dep["ref"],
        "task": dep["task"],
        "payload": dep["payload"],
        "original_environment": dep["environment"],
        "environment": dep["environment"],
        "description": dep["description"],
        "creator": simple_user(u, store.user(dep["creator"] or "")),
        "created_at": iso(dep["created_at"]),
        "updated_at": iso(dep["updated_at"]),
        "statuses_url": f"{url}/statuses",
        "repository_url": u.repo(repo),
        "transient_environment": False,
        "production_environment": dep["environment"] in ("prod", "production"),
        "performed_via_github_app": performed_via(u, store, dep["creator"], by_run=bool(dep.get("run_id"))),
    }


def deployment_status(u: Urls, store: Store, repo: Record, st: Record) -> Record:
    dep_url = f"{u.repo(repo)}/deployments/{st['deployment']}"
    dep = repo["deployments"].get(str(st["deployment"]), {})
    run_url = f"{u.repo_html(repo)}/actions/runs/{dep['run_id']}" if dep.get("run_id") else ""
    return {
        "url": f"{dep_url}/statuses/{st['id']}",
        "id": st["id"],
        "node_id": node_id("DeploymentStatus", st["id"]),
        "state": st["state"],
        "creator": simple_user(u, store.user(st["creator"] or "")),
        "description": st["description"] or "",
        "environment": st["environment"],
        "target_url": st.get("log_url") or run_url,
        "log_url": st.get("log_url") or run_url,
        "environment_url": "",
        "created_at": iso(st["created_at"]),
        "updated_at": iso(st["created_at"]),
        "deployment_url": dep_url,
        "repository_url": u.repo(repo),
        # Statuses a run posts are GitHub Actions'; one posted through the API is its caller's.
        "performed_via_github_app": performed_via(
            u, store, st["creator"], by_run=bool(dep.get("run_id")) and not st.get("via_api")
        ),
    }


# -- environments


def env_summary(u: Urls, repo: Record, env: Record) -> Record:
    return {
        "id": env["id"],
        "node_id": node_id("Environment", env["id"]),
        "name": env["name"],
        "url": f"{u.repo(repo)}/environments/{env['name']}",
        "html_url": f"{u.repo_html(repo)}/deployments/activity_log?environments_filter={env['name']}",
        "created_at": iso(env["created_at"]),
        "updated_at": iso(env["created_at"]),
    }


def reviewers(u: Urls, store: Store, env: Record) -> list[Record]:
    out: list[Record] = []
    for entry in env["reviewers"]:
        named = repo_rules.team_of(entry)
        found = permissions.team(store, *named) if named else None
        if found is not None:
            out.append({"type": "Team", "reviewer": team(u, found)})
        elif named is None:
            out.append({"type": "User", "reviewer": simple_user(u, store.user(entry))})
    return out


def environment(u: Urls, store: Store, repo: Record, env: Record) -> Record:
    out = env_summary(u, repo, env)
    rules: list[Record] = []
    if env.get("wait_timer"):
        rules.append(
            {
                "id": env["id"] + 1,
                "node_id": node_id("Gate", env["id"] + 1),
                "type": "wait_timer",
                "wait_timer": env["wait_timer"],
            }
        )
    if env["reviewers"]:
        rules.append(
            {
                "id": env["id"] + 2,
                "node_id": node_id("Gate", env["id"] + 2),
                "type": "required_reviewers",
                "prevent_self_review": bool(env.get("prevent_self_review")),
                "reviewers": reviewers(u, store, env),
            }
        )
    if env.get("branch_policies"):
        rules.append(
            {"id": env["id"] + 3, "node_id": node_id("Gate", env["id"] + 3), "type": "branch_policy"}
        )
    out["protection_rules"] = rules
    out["deployment_branch_policy"] = (
        {"protected_branches": False, "custom_branch_policies": True} if env.get("branch_policies") else None
    )
    out["can_admins_bypass"] = True
    return out


def branch_policy(policy: Record) -> Record:
    return {
        "id": policy["id"],
        "node_id": node_id("GateBranchPolicy", policy["id"]),
        "name": policy["name"],
        "type": policy.get("type", "branch"),
    }
