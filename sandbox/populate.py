"""Populate an empty state directory from a seed: users, orgs, real git history, protection, environments."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from sandbox import apps as hosted
from sandbox import identity
from sandbox.gitstore import HEADS
from sandbox.models import permissions, protection, rulesets
from sandbox.seed import CI_CHECKS, DEFAULT_SEED
from sandbox.state import Record, Store


def load(path: Path | dict[str, Any] | None) -> dict[str, Any]:
    """The seed in a YAML or JSON file (JSON is YAML, but json gives better errors for .json files).

    A mapping is taken as the seed itself (tests build one from sandbox.seed.default_seed()).
    """
    if path is None:
        return DEFAULT_SEED
    if isinstance(path, dict):
        return path
    text = Path(path).read_text()
    data = json.loads(text) if Path(path).suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"seed {path} must be a mapping")
    return data


def _user(store: Store, user: dict[str, Any], now: float) -> None:
    store.data["users"][user["login"]] = {
        "id": int(user.get("id") or store.new_id()),
        "login": user["login"],
        "name": user.get("name"),
        "email": user.get("email"),
        "type": user.get("type", "User"),
        "site_admin": bool(user.get("site_admin", False)),
        "app": user.get("app"),
        # What the token is granted beyond its role, as a GitHub App installation's permissions are.
        "grants": dict(user.get("grants") or {}),
        # A fine-grained token's permissions (sandbox/models/grants.py); absent: a classic token.
        "token_permissions": user.get("token_permissions"),
        "created_at": now,
    }
    tokens = user.get("tokens") or ([user["token"]] if user.get("token") else [])
    for token in tokens:
        store.data["tokens"][token] = user["login"]


def _apps(store: Store, seed: dict[str, Any], now: float) -> None:
    """GitHub Actions' app always exists; seeded apps get a bot user `<slug>[bot]` with their token."""
    apps = store.data.setdefault("apps", {})
    apps[permissions.ACTIONS_APP] = dict(permissions.ACTIONS_APP_RECORD)
    for spec in seed.get("apps", []):
        app = {
            "id": int(spec.get("id") or store.new_id()),
            "slug": spec["slug"],
            "node_id": "",
            "name": spec.get("name", spec["slug"]),
            "description": spec.get("description"),
            "external_url": spec.get("external_url", f"https://{spec['slug']}.example"),
            "owner": {"login": spec.get("owner", "acme"), "id": 1, "type": "Organization"},
            "created_at": now,
            "updated_at": now,
            "permissions": dict(spec.get("permissions") or {"checks": "write", "statuses": "write"}),
            "events": list(spec.get("events") or ["check_run", "check_suite"]),
            "permission": spec.get("permission", "write"),
        }
        apps[spec["slug"]] = app
        bot = {"login": f"{spec['slug']}[bot]", "type": "Bot", "app": spec["slug"], "name": app["name"]}
        _user(store, {**bot, "token": spec.get("token"), "tokens": spec.get("tokens")}, now)
        hosted.seed(store, spec, app, now)


def apply(store: Store, seed: dict[str, Any]) -> None:
    now = time.time()
    for user in seed.get("users", []):
        _user(store, user, now)
    _apps(store, seed, now)
    for org in seed.get("orgs", []):
        store.data["orgs"][org["login"]] = {
            "id": store.new_id(),
            "login": org["login"],
            "type": "Organization",
            "members": list(org.get("members", [])),
            "owners": list(org.get("owners", [])),
            "base_permission": org.get("base_permission", "read"),
        }
    teams = store.data.setdefault("teams", {})
    for t in seed.get("teams", []):
        teams[permissions.team_key(t["org"], t["slug"])] = {
            "id": store.new_id(),
            "org": t["org"],
            "slug": t["slug"],
            "name": t.get("name", t["slug"]),
            "members": list(t.get("members", [])),
            "maintainers": list(t.get("maintainers", [])),
        }
    for spec in seed.get("repos", []):
        _repo(store, spec, now)


def _repo(store: Store, spec: dict[str, Any], now: float) -> None:
    full_name = f"{spec['owner']}/{spec['name']}"
    repo: Record = {
        "id": store.new_id(),
        "owner": spec["owner"],
        "name": spec["name"],
        "full_name": full_name,
        "default_branch": spec.get("default_branch", "main"),
        "private": bool(spec.get("private", True)),
        "description": spec.get("description"),
        "created_at": now,
        "pushed_at": now,
        "protection": [],
        "rulesets": [],
        "actions_permissions": {},
        "ci": {"checks": [dict(c) for c in CI_CHECKS]},
        "check_suites": {},
        "pushes": {},
        "environments": {},
        "workflows": {},
        "pulls": {},
        "next_number": 1,
        "reviews": {},
        "comments": [],
        "check_runs": {},
        "statuses": [],
        "deployments": {},
        "deployment_statuses": {},
        "runs": {},
        "hooks": [],
    }
    configure(store, repo, spec)
    store.data["repos"][full_name.lower()] = repo
    git = store.git(repo)
    # Seed history is spread over the past hour so that commit dates are distinct and ordered.
    commits = [c for b in spec.get("branches", []) for c in b.get("commits", [])]
    when = now - 60 * (len(commits) + 1)
    for branch in spec.get("branches", []):
        start = branch.get("from")
        parent = git.branch_sha(start) if start else None
        for c in branch.get("commits", []):
            author = store.user(c.get("author", "")) or {"login": "seed", "name": "Seed"}
            files = {p: (None if v is None else str(v).encode()) for p, v in c.get("files", {}).items()}
            when += 60
            parent = git.commit_files(parent, files, c["message"], identity.sig(author, when))
        if parent is None:
            raise ValueError(f"branch {branch['name']} has no commits and no 'from'")
        git.set_ref(HEADS + branch["name"], parent)
    for env in spec.get("environments", []):
        env_id = store.new_id()
        repo["environments"][env["name"]] = {
            "id": env_id,
            "name": env["name"],
            "reviewers": list(env.get("reviewers", [])),
            "prevent_self_review": bool(env.get("prevent_self_review", False)),
            "wait_timer": int(env.get("wait_timer", 0)),
            "branch_policies": [
                {"id": store.new_id(), "name": name, "type": "branch"}
                for name in env.get("branch_policies", [])
            ],
            "created_at": now,
        }
    default_sha = git.branch_sha(repo["default_branch"])
    if default_sha:
        _workflows(store, repo, default_sha, now)
    _green_heads(store, repo, now)
    for dep in spec.get("deployments", []):
        sha = git.branch_sha(dep["ref"]) or dep["ref"]
        deployment = store.add(
            repo,
            "deployments",
            sha=sha,
            ref=dep["ref"],
            task=dep.get("task", "deploy"),
            environment=dep["environment"],
            creator=dep.get("creator"),
            payload=dep.get("payload", {}),
            description=dep.get("description"),
            created_at=now - 10,
            updated_at=now - 5,
            run_id=None,
        )
        for offset, state in ((9, "in_progress"), (5, dep.get("state", "success"))):
            store.add(
                repo,
                "deployment_statuses",
                deployment=deployment["id"],
                state=state,
                creator=dep.get("creator"),
                description="",
                environment=dep["environment"],
                created_at=now - offset,
            )


SETTINGS = (
    "protection",
    "rulesets",
    "collaborators",
    "teams",
    "ci",
    "actions_permissions",
    "environments",
    "merge_methods",
)


def configure(store: Store, repo: Record, spec: dict[str, Any]) -> None:
    """Apply a repository's settings (the seed keys in SETTINGS that `spec` has), replacing earlier ones.

    Used by the seed, and by POST /_sandbox/repos/{owner}/{repo} to change a running sandbox's rules.
    `environments` there only updates existing environments' `reviewers` and `prevent_self_review`.
    """
    app_ids = {slug: int(app["id"]) for slug, app in store.data.get("apps", {}).items()}
    if "protection" in spec:
        repo["protection"] = [protection.normalise(rule, app_ids) for rule in spec["protection"] or []]
    if "rulesets" in spec:
        repo["rulesets"] = [
            rulesets.normalise(rs, repo, store.new_id(), app_ids) for rs in spec["rulesets"] or []
        ]
    if "collaborators" in spec:
        repo["collaborators"] = dict(spec["collaborators"] or {})
    if "teams" in spec:
        repo["team_permissions"] = dict(spec["teams"] or {})
    if "ci" in spec:
        repo["ci"] = {"checks": [dict(c) for c in (spec["ci"] or {}).get("checks") or CI_CHECKS]}
    if "actions_permissions" in spec:
        repo["actions_permissions"] = dict(spec["actions_permissions"] or {})
    if "merge_methods" in spec:  # {allow_merge_commit, allow_squash_merge, allow_rebase_merge}
        repo["merge_methods"] = dict(spec["merge_methods"] or {})
    if "environments" in spec and repo.get("environments"):
        for env in spec["environments"] or []:
            known = repo["environments"].get(env.get("name"))
            if known is not None:
                for key in ("reviewers", "prevent_self_review"):
                    if key in env:
                        known[key] = env[key]
    store.touch()


def _green_heads(store: Store, repo: Record, now: float) -> None:
    """Every seeded head has passed CI (GitHub Actions' suite, one run per CI check), as history would."""
    for branch, sha in store.git(repo).branches():
        if any(s["head_sha"] == sha for s in repo["check_suites"].values()):
            continue
        suite = store.add(
            repo,
            "check_suites",
            head_sha=sha,
            head_branch=branch,
            app=permissions.ACTIONS_APP,
            status="completed",
            conclusion="success",
            before=None,
            created_at=now - 40,
            updated_at=now - 20,
        )
        for spec in repo["ci"]["checks"]:
            store.add(
                repo,
                "check_runs",
                name=spec["name"],
                head_sha=sha,
                status="completed",
                conclusion="success",
                started_at=now - 30,
                completed_at=now - 20,
                title="Tests passed",
                summary="Seeded.",
                app=permissions.ACTIONS_APP,
                suite=suite["id"],
            )


def _workflows(store: Store, repo: Record, sha: str, now: float) -> None:
    git = store.git(repo)
    folder = git.read_path(sha, ".github/workflows")
    if folder is None:
        return
    for entry in folder:
        if not entry.name.endswith((".yml", ".yaml")):
            continue
        path = f".github/workflows/{entry.name}"
        try:
            doc = yaml.safe_load(git.get(entry.id).data) or {}
        except yaml.YAMLError:
            doc = {}
        store.add(
            repo,
            "workflows",
            name=doc.get("name", path) if isinstance(doc, dict) else path,
            path=path,
            state="active",
            created_at=now,
        )
