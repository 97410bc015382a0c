"""Fixtures for the real activities against the sandbox GitHub."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from activities.github.client import GitHubClient
from activities.registry import github_activities
from hotfix.models import (
    CherryPickInput,
    CreateBranchInput,
    DispatchInput,
    OpenPullRequestInput,
)
from tests.activities.helpers import (
    DEV_TOKEN,
    REPO,
    client_for,
    run,
)

PROD = "prod/hotfix/2024-05-22_fix-login"
WORK = "hotfix/2024-05-22_fix-login"


class Activities:
    """Every activity the worker registers, by name, over one client: `acts.cherry_pick(...)`.

    The worker sees the activities by name only, whichever class holds them; so do these tests.
    """

    def __init__(self, client: GitHubClient, **options: Any) -> None:
        for fn in github_activities(client, **options):
            setattr(self, fn.__name__, fn)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"no activity named {name!r}")


@pytest.fixture
def client(sandbox: Any) -> GitHubClient:
    return client_for(sandbox)


@pytest.fixture
def acts(client: GitHubClient) -> Activities:
    return Activities(client, dispatch_lookup_attempts=10, dispatch_lookup_interval=0.05)


def dev_repo(sandbox: Any) -> Any:
    return sandbox.github(token=DEV_TOKEN).get_repo(REPO)


def head(sandbox: Any, branch: str) -> str:
    return str(dev_repo(sandbox).get_git_ref(f"heads/{branch}").object.sha)


def develop_commits(sandbox: Any) -> dict[str, str]:
    """Message -> sha of the seeded develop history."""
    return {c.commit.message.splitlines()[0]: c.sha for c in dev_repo(sandbox).get_commits(sha="develop")}


def branches(acts: Activities, sandbox: Any, *names: str) -> str:
    base = head(sandbox, "main")
    for name in names:
        run(acts.create_branch, CreateBranchInput(repository=REPO, branch=name, sha=base))
    return base


def file_text(sandbox: Any, path: str, ref: str) -> str | None:
    repo = dev_repo(sandbox)
    tree = repo.get_git_tree(repo.get_git_commit(head(sandbox, ref)).tree.sha, recursive=True)
    for entry in tree.tree:
        if entry.path == path:
            blob = repo.get_git_blob(entry.sha)
            return base64.b64decode(blob.content).decode() if blob.encoding == "base64" else str(blob.content)
    return None


def open_hotfix_pr(acts: Activities) -> Any:
    return run(
        acts.open_pull_request,
        OpenPullRequestInput(repository=REPO, head=WORK, base=PROD, title="Hotfix: fix login", body="body"),
    )


def work_with_a_pick(acts: Activities, sandbox: Any) -> None:
    branches(acts, sandbox, WORK, PROD)
    pick = develop_commits(sandbox)["Start feature X"]
    run(acts.cherry_pick, CherryPickInput(repository=REPO, branch=WORK, shas=[pick]))


def wait_completed(sandbox: Any, run_id: int) -> Any:
    repo = sandbox.github(token=DEV_TOKEN).get_repo(REPO)
    for _ in range(200):
        found = repo.get_workflow_run(run_id)
        if found.status == "completed":
            return found
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not complete")


def dispatch_input(not_before: datetime | None = None) -> DispatchInput:
    return DispatchInput(
        repository=REPO, workflow="deploy.yml", ref=PROD, not_before=not_before or datetime.now(UTC)
    )
