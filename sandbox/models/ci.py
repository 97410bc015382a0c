"""Simulated CI: a check run `ci` on every new head, completed on the sandbox clock."""

from __future__ import annotations

import time

from sandbox.core import Sandbox, timer
from sandbox.state import Record

CI_NAME = "ci"
FAIL_MARKER = "[ci-fail]"


def start(sb: Sandbox, repo: Record, sha: str) -> None:
    # One `ci` run per commit: pointing a second branch at a commit GitHub has already checked
    # does not make the commit's checks start over in this sandbox.
    if any(cr["head_sha"] == sha and cr["name"] == CI_NAME for cr in repo["check_runs"].values()):
        return
    run = create(sb, repo, sha, CI_NAME, status="in_progress")
    sb.schedule("ci_complete", repo, run["id"], sb.ci_seconds)


def create(
    sb: Sandbox, repo: Record, sha: str, name: str, status: str = "queued", conclusion: str | None = None
) -> Record:
    now = time.time()
    return sb.store.add(
        repo,
        "check_runs",
        name=name,
        head_sha=sha,
        status=status,
        conclusion=conclusion,
        started_at=now,
        completed_at=now if status == "completed" else None,
        title=None,
        summary=None,
    )


@timer("ci_complete")
def complete(sb: Sandbox, repo: Record, t: Record) -> None:
    run = repo["check_runs"].get(str(t["target"]))
    if run is None or run["status"] == "completed":
        return
    commit = sb.store.git(repo).commit(run["head_sha"])
    failed = commit is not None and FAIL_MARKER in commit.message
    run.update(
        status="completed",
        conclusion="failure" if failed else "success",
        completed_at=time.time(),
        title="Tests failed" if failed else "Tests passed",
        summary="The head commit asked for a failure ([ci-fail])." if failed else "All good.",
    )
    sb.store.touch()
