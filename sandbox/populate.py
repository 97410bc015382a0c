"""Populate an empty state directory from a seed: users, orgs, real git history, protection, environments."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from sandbox import identity
from sandbox.gitstore import HEADS
from sandbox.seed import DEFAULT_SEED
from sandbox.state import Record, Store


def load(path: Path | None) -> dict[str, Any]:
    """The seed in a YAML or JSON file (JSON is YAML, but json gives better errors for .json files)."""
    if path is None:
        return DEFAULT_SEED
    text = Path(path).read_text()
    data = json.loads(text) if Path(path).suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"seed {path} must be a mapping")
    return data


def apply(store: Store, seed: dict[str, Any]) -> None:
    now = time.time()
    for user in seed.get("users", []):
        uid = store.new_id()
        store.data["users"][user["login"]] = {
            "id": uid,
            "login": user["login"],
            "name": user.get("name"),
            "email": user.get("email"),
            "type": user.get("type", "User"),
            "site_admin": bool(user.get("site_admin", False)),
            "created_at": now,
        }
        tokens = user.get("tokens") or ([user["token"]] if user.get("token") else [])
        for token in tokens:
            store.data["tokens"][token] = user["login"]
    for org in seed.get("orgs", []):
        store.data["orgs"][org["login"]] = {
            "id": store.new_id(),
            "login": org["login"],
            "type": "Organization",
            "members": list(org.get("members", [])),
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
        "protection": [dict(rule) for rule in spec.get("protection", [])],
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
    # Every seeded head has passed CI, as a real repository's history would have.
    for _, sha in git.branches():
        if not any(cr["head_sha"] == sha for cr in repo["check_runs"].values()):
            store.add(
                repo,
                "check_runs",
                name="ci",
                head_sha=sha,
                status="completed",
                conclusion="success",
                started_at=now - 30,
                completed_at=now - 20,
                title="Tests passed",
                summary="Seeded.",
            )
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
