"""Which running hotfixes an event concerns: pure functions over GitHub's webhook payloads.

A hotfix is known by its working and prod branches (its `status`); every event below names the
branches it is about: a push its ref, a PR (and its reviews) its head and base, check runs
and suites and workflow runs and jobs their head branch, a deployment its ref, a status the branches
holding the commit. The back-merge PR's head is the prod branch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

EVENTS = frozenset(
    {
        "pull_request",
        "pull_request_review",
        "check_run",
        "check_suite",
        "status",
        "workflow_run",
        "workflow_job",
        "deployment_review",
        "deployment_status",
        "push",
    }
)


def _get(payload: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(payload, dict):
            return None
        payload = payload.get(key)
    return payload


def repository(payload: Any) -> str | None:
    name = _get(payload, "repository", "full_name")
    return name if isinstance(name, str) and "/" in name else None


def branches(event: str, payload: Any) -> set[str]:
    """The branch names the event is about (empty when it names none)."""
    found: list[Any] = []
    if event == "push":
        ref = _get(payload, "ref")
        if isinstance(ref, str) and ref.startswith("refs/heads/"):
            found.append(ref.removeprefix("refs/heads/"))
    elif event in ("pull_request", "pull_request_review"):
        found += [_get(payload, "pull_request", "head", "ref"), _get(payload, "pull_request", "base", "ref")]
    elif event in ("check_run",):
        found.append(_get(payload, "check_run", "check_suite", "head_branch"))
    elif event == "check_suite":
        found.append(_get(payload, "check_suite", "head_branch"))
    elif event in ("workflow_run", "deployment_review"):
        found.append(_get(payload, "workflow_run", "head_branch"))
    elif event == "workflow_job":
        found.append(_get(payload, "workflow_job", "head_branch"))
    elif event == "deployment_status":
        found += [_get(payload, "deployment", "ref"), _get(payload, "workflow_run", "head_branch")]
    elif event == "status":
        listed = _get(payload, "branches")
        if isinstance(listed, list):
            found += [_get(b, "name") for b in listed]
    return {b for b in found if isinstance(b, str) and b}


def concerned(hotfixes: Mapping[str, Iterable[str]], names: set[str]) -> list[str]:
    """The hotfixes (workflow ID -> its branches) one of whose branches is among `names`."""
    return sorted(workflow_id for workflow_id, own in hotfixes.items() if names.intersection(own))
