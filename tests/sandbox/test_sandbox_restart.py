"""State survives a restart, and timers that were running finish after it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sandbox import seed
from sandbox.testing import running_sandbox
from tests.sandbox.conftest import check_contract
from tests.sandbox.contract import contract
from tests.sandbox.helpers import wait_for


def test_restart_keeps_branches_pulls_runs_deployments(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running_sandbox(state, ci_seconds=0.2, deploy_seconds=0.2, validate=contract().check) as first:
        repo = first.github().get_repo(seed.REPO)
        main = repo.get_branch("main").commit.sha
        repo.create_git_ref("refs/heads/prod/hotfix/restart", main)
        repo.create_git_ref("refs/heads/fix/restart", main)
        repo.create_file("r.txt", "restart fix", "r", branch="fix/restart")
        pr = repo.create_pull(base="prod/hotfix/restart", head="fix/restart", title="restart")
        run = repo.get_workflow(seed.DEPLOY_WORKFLOW).create_dispatch(
            "main", throw=True, return_run_details=True
        )
        # Stop long before CI (60 s) would finish: the timer must survive the restart.
        first.set_settings(ci_seconds=60)
        repo.create_file("r2.txt", "second", "r", branch="fix/restart")
        pending_sha = repo.get_branch("fix/restart").commit.sha
        check_contract(first)
    with running_sandbox(state, ci_seconds=0.2, deploy_seconds=0.2, validate=contract().check) as second:
        repo = second.github().get_repo(seed.REPO)
        assert repo.get_branch("prod/hotfix/restart").commit.sha == main
        assert repo.get_pull(pr.number).head.sha == pending_sha
        assert repo.get_workflow_run(run.id).status == "waiting"
        assert repo.get_deployments(environment="prod")[0].ref == "main"
        check = next(iter(repo.get_commit(pending_sha).get_check_runs()))
        assert check.status == "in_progress"
        check_contract(second)
    # Restarted with a short CI setting, but the stored due time (60 s) still holds; force it due.
    store_file = state / "state.json"
    data = json.loads(store_file.read_text())
    for timer in data["timers"]:
        timer["due"] = 0
    store_file.write_text(json.dumps(data))
    with running_sandbox(state) as third:
        repo = third.github().get_repo(seed.REPO)

        def done() -> object:
            runs = list(repo.get_commit(pending_sha).get_check_runs())
            return runs[0].status == "completed" and runs[0]

        assert wait_for(done, "resumed ci").conclusion == "success"


def test_cli_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sandbox", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    for flag in ("--host", "--port", "--state-dir", "--seed", "--ci-seconds", "--deploy-seconds"):
        assert flag in out.stdout
