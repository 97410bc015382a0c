"""Waiting on the sandbox's clock: poll until a condition holds (the deadline only guards against hangs)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from github import UnknownObjectException


def wait_for(probe: Callable[[], Any], what: str, timeout: float = 15.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(every)


def push_fix(sandbox: Any, token: str, branch: str, path: str = "fix.txt", text: str = "fix\n") -> str:
    """Commit one file on `branch` through the contents API as the token's user (a push); the new head."""
    from sandbox import seed

    repo = sandbox.github(token).get_repo(seed.REPO)
    try:
        current = repo.get_contents(path, ref=branch)
    except UnknownObjectException:  # a new file
        current = None
    if current is None or isinstance(current, list):
        result = repo.create_file(path, f"Change {path}", text, branch=branch)
    else:
        result = repo.update_file(path, f"Change {path}", text, current.sha, branch=branch)
    return str(result["commit"].sha)


def open_hotfix_pr(sandbox: Any, name: str = "t", author_token: str = "", path: str = "fix.txt") -> Any:
    """prod/hotfix/<name> and fix/<name> from main, one commit on fix/<name> by the author, and the PR."""
    from sandbox import seed

    bot_repo = sandbox.github(seed.BOT_TOKEN).get_repo(seed.REPO)
    main = bot_repo.get_branch("main").commit.sha
    bot_repo.create_git_ref(f"refs/heads/prod/hotfix/{name}", main)
    bot_repo.create_git_ref(f"refs/heads/fix/{name}", main)
    token = author_token or seed.DEV_TOKEN
    push_fix(sandbox, token, f"fix/{name}", path)
    repo = sandbox.github(token).get_repo(seed.REPO)
    return repo.create_pull(base=f"prod/hotfix/{name}", head=f"fix/{name}", title=f"Hotfix {name}")


def ci_done(sandbox: Any, sha: str, names: tuple[str, ...] = ("ci",)) -> None:
    """Wait until every named check run of GitHub Actions (the sandbox's CI) on `sha` has completed."""
    from sandbox import seed

    repo = sandbox.github().get_repo(seed.REPO)

    def done() -> bool:
        # A head pushed and then opened as a PR has two runs of each check (push, pull_request), and
        # the merge gate reads the newest: every run of the name must be done, not just one.
        runs = [r for r in repo.get_commit(sha).get_check_runs() if r.app.slug == "github-actions"]
        return all(
            any(r.name == n for r in runs) and all(r.status == "completed" for r in runs if r.name == n)
            for n in names
        )

    wait_for(done, f"checks {names} complete on {sha[:8]}")
