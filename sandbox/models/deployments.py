"""Deployments and their statuses, as records in the repository's state."""

from __future__ import annotations

import time
from typing import Any

from sandbox.core import Sandbox
from sandbox.models import events
from sandbox.state import Record

STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


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
    events.deployment_status(sb, repo, dep, st)
    return st
