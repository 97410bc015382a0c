"""Deployments and their statuses, as records in the repository's state."""

from __future__ import annotations

import time
from typing import Any

from sandbox.core import Sandbox
from sandbox.models import events
from sandbox.state import Record

STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")
# Statuses Actions adds by itself that the sandbox delivers no `deployment_status` webhook for: the
# wait for reviewers (announced by `deployment_review`), the queue after an approval, and `inactive`
# (not a state GitHub's webhook schema admits). Whether GitHub announces them is not verified.
UNANNOUNCED = ("waiting", "queued", "inactive")


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
    return sb.store.add(
        repo,
        "deployments",
        sha=sha,
        ref=ref,
        task=task,
        environment=environment,
        creator=creator,
        payload=payload if payload is not None else {},
        description=description,
        created_at=now,
        updated_at=now,
        run_id=run_id,
    )


def add_status(
    sb: Sandbox,
    repo: Record,
    dep: Record,
    state: str,
    creator: str | None,
    description: str = "",
    log_url: str | None = None,
    via_api: bool = False,
) -> Record:
    now = time.time()
    st = sb.store.add(
        repo,
        "deployment_statuses",
        deployment=dep["id"],
        state=state,
        creator=creator,
        description=description,
        environment=dep["environment"],
        log_url=log_url,
        created_at=now,
    )
    if via_api:
        st["via_api"] = True
    dep["updated_at"] = now
    if state not in UNANNOUNCED or via_api:
        events.deployment_status(sb, repo, dep, st)
    return st


def latest_state(repo: Record, dep: Record) -> str | None:
    mine = [st for st in repo["deployment_statuses"].values() if st["deployment"] == dep["id"]]
    return max(mine, key=lambda st: st["id"])["state"] if mine else None


def supersede(sb: Sandbox, repo: Record, newer: Record, creator: str | None) -> None:
    """GitHub's `auto_inactive`: a deployment's success makes the environment's earlier successful
    deployments `inactive` (they no longer run there)."""
    for dep in list(repo["deployments"].values()):
        if (
            dep["id"] != newer["id"]
            and dep["environment"] == newer["environment"]
            and dep["id"] < newer["id"]
            and latest_state(repo, dep) == "success"
        ):
            add_status(sb, repo, dep, "inactive", creator, "Superseded by a newer deployment")
