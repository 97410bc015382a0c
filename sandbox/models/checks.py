"""Check suites, check runs and commit statuses, each with who reported it, and what a required check sees.

A check run belongs to the app that created it (GitHub Actions for the sandbox's CI, an app's token
for POST check-runs) and to that app's check suite on the commit. A commit status belongs to the user
who posted it, and to their app when they are an app's bot. A required check names a context and,
optionally, the app that must report it (classic `app_id`, rulesets' `integration_id`): a run or a
status with the right name from anyone else does not count.
"""

from __future__ import annotations

import time
from typing import Any

from sandbox.core import Sandbox
from sandbox.models import events
from sandbox.state import Record

GOOD = ("success", "neutral", "skipped")


def app_id(sb: Sandbox, slug: str | None) -> int | None:
    app = sb.store.data.get("apps", {}).get(slug or "")
    return None if app is None else int(app["id"])


def suite_for(repo: Record, sha: str, app: str, event: str = "push") -> Record | None:
    """The app's suite on `sha` for `event`: Actions makes one per workflow run, so a commit pushed and
    then proposed in a PR has a `push` suite and a `pull_request` suite."""
    return next(
        (
            s
            for s in repo.setdefault("check_suites", {}).values()
            if s["head_sha"] == sha and s["app"] == app and s.get("event", "push") == event
        ),
        None,
    )


def ensure_suite(
    sb: Sandbox, repo: Record, sha: str, app: str, branch: str | None, event: str = "push"
) -> Record:
    suite = suite_for(repo, sha, app, event)
    if suite is None:
        now = time.time()
        repo.setdefault("check_suites", {})
        suite = sb.store.add(
            repo,
            "check_suites",
            head_sha=sha,
            head_branch=branch,
            app=app,
            status="queued",
            conclusion=None,
            before=None,
            created_at=now,
            updated_at=now,
            event=event,
        )
    return suite


def create_run(
    sb: Sandbox,
    repo: Record,
    sha: str,
    name: str,
    app: str,
    *,
    status: str = "queued",
    conclusion: str | None = None,
    branch: str | None = None,
    event: str = "push",
) -> Record:
    now = time.time()
    suite = ensure_suite(sb, repo, sha, app, branch, event)
    run = sb.store.add(
        repo,
        "check_runs",
        name=name,
        head_sha=sha,
        status="completed" if conclusion is not None else status,
        conclusion=conclusion,
        started_at=now,
        completed_at=now if conclusion is not None or status == "completed" else None,
        title=None,
        summary=None,
        app=app,
        suite=suite["id"],
    )
    events.check_run(sb, repo, run, "created", suite, len(suite_runs(repo, suite)))
    if run["status"] == "completed":
        events.check_run(sb, repo, run, "completed", suite, len(suite_runs(repo, suite)))
    refresh_suite(sb, repo, suite)
    return run


def completed(sb: Sandbox, repo: Record, run: Record) -> None:
    """A run has completed (CI or its app said so): `check_run` completed, and its suite refreshed."""
    suite = repo.get("check_suites", {}).get(str(run.get("suite")))
    if suite is not None:
        events.check_run(sb, repo, run, "completed", suite, len(suite_runs(repo, suite)))
        refresh_suite(sb, repo, suite)


def suite_runs(repo: Record, suite: Record) -> list[Record]:
    return [r for r in repo["check_runs"].values() if r.get("suite") == suite["id"]]


def refresh_suite(sb: Sandbox, repo: Record, suite: Record) -> None:
    """A suite is queued until a run starts, in_progress while any run is, then completed."""
    runs = suite_runs(repo, suite)
    if not runs:
        status, conclusion = suite["status"] if suite["status"] != "completed" else "queued", None
    elif any(r["status"] != "completed" for r in runs):
        status, conclusion = "in_progress", None
    else:
        status = "completed"
        conclusions = [r["conclusion"] for r in runs]
        conclusion = next(
            (c for c in ("failure", "cancelled", "timed_out", "action_required") if c in conclusions), None
        )
        conclusion = conclusion or ("success" if any(c == "success" for c in conclusions) else conclusions[0])
    if (status, conclusion) != (suite["status"], suite["conclusion"]):
        suite.update(status=status, conclusion=conclusion, updated_at=time.time())
        sb.store.touch()
        if status == "completed":
            events.check_suite(sb, repo, suite, "completed", len(runs))


def run_app(repo: Record, run: Record) -> str:
    return str(run.get("app") or "github-actions")


def add_status(
    sb: Sandbox, repo: Record, sha: str, state: str, context: str, login: str, **extra: Any
) -> Record:
    user = sb.store.user(login) or {}
    st = {
        "id": sb.store.new_id(),
        "sha": sha,
        "state": state,
        "context": context,
        "creator": login,
        "app": user.get("app"),
        "created_at": time.time(),
        **extra,
    }
    repo["statuses"].append(st)
    sb.store.touch()
    events.status(sb, repo, st)
    return st


def requirement_state(sb: Sandbox, repo: Record, sha: str, context: str, required_app: int | None) -> str:
    """success | pending | failure | expected (nothing with that name from the right reporter)."""
    runs = [r for r in repo["check_runs"].values() if r["head_sha"] == sha and r["name"] == context]
    statuses = [s for s in repo["statuses"] if s["sha"] == sha and s["context"] == context]
    if required_app is not None:
        runs = [r for r in runs if app_id(sb, run_app(repo, r)) == required_app]
        statuses = [s for s in statuses if app_id(sb, s.get("app")) == required_app]
    if runs:
        latest = max(runs, key=lambda r: r["id"])
        if latest["status"] != "completed":
            return "pending"
        return "success" if latest["conclusion"] in GOOD else "failure"
    if statuses:
        state = max(statuses, key=lambda s: s["id"])["state"]
        return "success" if state == "success" else "pending" if state == "pending" else "failure"
    return "expected"


def checks_message(states: dict[str, str]) -> str | None:
    """GitHub's words for required checks that are not green, None when all are."""
    bad = {c: s for c, s in states.items() if s != "success"}
    if not bad:
        return None
    if len(states) == 1:
        context, state = next(iter(bad.items()))
        word = "failing" if state == "failure" else "expected"
        return f'Required status check "{context}" is {word}.'
    return f"{len(bad)} of {len(states)} required status checks have not succeeded."
