"""Simulated CI (GitHub Actions): a queued check suite at every push, its check runs later, then results.

A push creates GitHub Actions' check suite on the new head, `queued` and without runs. Each check of
the repository's CI (`ci.checks` in the seed, default one check `ci`) starts `start_after` seconds
later (default: the `ci_start_seconds` setting) as an `in_progress` run, and completes `duration`
seconds after that (default: `ci_seconds`) with its `conclusion` (default success). A head commit
whose message holds `[ci-fail]` makes every check fail. One suite per commit: a branch pointed at a
commit CI has already seen starts nothing.
"""

from __future__ import annotations

import time

from sandbox.core import Sandbox, timer
from sandbox.models import checks
from sandbox.models.permissions import ACTIONS_APP
from sandbox.seed import CI_CHECKS
from sandbox.state import Record

CI_NAME = "ci"
FAIL_MARKER = "[ci-fail]"
DEFAULT_CHECKS: list[Record] = CI_CHECKS


def specs(repo: Record) -> list[Record]:
    return list((repo.get("ci") or {}).get("checks") or DEFAULT_CHECKS)


def events(repo: Record) -> list[str]:
    """What the repository's CI runs on (`ci.events` in the seed): a push, and by default also a PR's
    head (`pull_request`), as an Actions workflow with `on: [push, pull_request]` does."""
    return list((repo.get("ci") or {}).get("events") or ["push", "pull_request"])


def start(sb: Sandbox, repo: Record, sha: str, branch: str | None = None, event: str = "push") -> None:
    if event not in events(repo) or checks.suite_for(repo, sha, ACTIONS_APP, event) is not None:
        return
    checks.ensure_suite(sb, repo, sha, ACTIONS_APP, branch, event)
    for index, spec in enumerate(specs(repo)):
        delay = spec.get("start_after")
        delay = sb.ci_start_seconds if delay is None else float(delay)
        sb.schedule("ci_start", repo, index, delay, sha=sha, branch=branch, event=event)


@timer("ci_start")
def _start_run(sb: Sandbox, repo: Record, t: Record) -> None:
    all_specs = specs(repo)
    if t["target"] >= len(all_specs):
        return
    spec = all_specs[t["target"]]
    run = checks.create_run(
        sb,
        repo,
        t["sha"],
        spec["name"],
        ACTIONS_APP,
        status="in_progress",
        branch=t.get("branch"),
        event=t.get("event", "push"),
    )
    duration = spec.get("duration")
    sb.schedule(
        "ci_complete",
        repo,
        run["id"],
        sb.ci_seconds if duration is None else float(duration),
        conclusion=spec.get("conclusion"),
    )


@timer("ci_complete")
def complete(sb: Sandbox, repo: Record, t: Record) -> None:
    run = repo["check_runs"].get(str(t["target"]))
    if run is None or run["status"] == "completed":
        return
    commit = sb.store.git(repo).commit(run["head_sha"])
    conclusion = t.get("conclusion") or "success"
    if commit is not None and FAIL_MARKER in commit.message:
        conclusion = "failure"
    failed = conclusion not in checks.GOOD
    run.update(
        status="completed",
        conclusion=conclusion,
        completed_at=time.time(),
        title="Tests failed" if failed else "Tests passed",
        summary="The head commit asked for a failure ([ci-fail])." if failed else "All good.",
    )
    checks.completed(sb, repo, run)
    sb.store.touch()
