"""Workflow files: finding a workflow by id or file name, and reading its triggers and jobs at a commit."""

from __future__ import annotations

import yaml

from sandbox import errors
from sandbox.core import Sandbox
from sandbox.state import Record


def find(repo: Record, key: str) -> Record:
    """The workflow whose id or file name (`deploy.yml`) is `key`, else 404."""
    for wf in repo["workflows"].values():
        if str(wf["id"]) == key or wf["path"].rsplit("/", 1)[-1] == key:
            return wf
    raise errors.NotFound()


def parse(sb: Sandbox, repo: Record, sha: str, path: str) -> Record | None:
    blob = sb.store.git(repo).read_path(sha, path)
    if blob is None:
        return None
    try:
        doc = yaml.safe_load(blob.data)
    except yaml.YAMLError:
        return None
    return doc if isinstance(doc, dict) else None


def triggers(doc: Record) -> set[str]:
    # YAML 1.1 reads the key `on` as True.
    on = doc["on"] if "on" in doc else doc.get(True)  # type: ignore[call-overload]
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(x) for x in on}
    if isinstance(on, dict):
        return {str(x) for x in on}
    return set()


def jobs(doc: Record) -> list[tuple[str, str | None]]:
    out = []
    for name, job in (doc.get("jobs") or {}).items():
        env = job.get("environment") if isinstance(job, dict) else None
        if isinstance(env, dict):
            env = env.get("name")
        out.append((str(name), str(env) if env else None))
    return out or [("build", None)]
