"""Bad input is stopped at the door (#9 item 8): `start` as a person types it, against the sandbox
GitHub with the real activities. A base or cherry-pick GitHub does not know ends the command with the
reason, and nothing is created on GitHub; start waits for preflight to say so. What a person typed
and only shows later (a commit that cannot be cherry-picked) is corrected with `recheck`, no abort."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, ChangesReadySignal, Step
from hotfix.outcome import final_result
from local.humans import Humans, wait_for
from sandbox.seed import DEV_TOKEN
from tests.cli.support import invoke, one_error_line
from tests.integration.conftest import REPO, start
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration


def cli(env: WorkflowEnvironment, task_queue: str, *args: str, **settings: str) -> Any:
    """The CLI as a person runs it; `settings` are more HOTFIX_ variables (e.g. HOTFIX_POLL_INTERVAL)."""
    return invoke(
        list(args),
        {
            "HOTFIX_TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
            "HOTFIX_TASK_QUEUE": task_queue,
            "USER": "dev-1",
            "HOTFIX_USER": "dev-1",
            **settings,
        },
    )


def nothing_written(sandbox: Any) -> None:
    made = [r for r in sandbox.requests() if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]
    assert not made, [f"{r['method']} {r['path']}" for r in made]


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--base", "no-such-branch"], "base: --base 'no-such-branch' is no branch, tag or commit of"),
        (["--cherry-pick", "deadbeef1234"], "cherry-picks: no commit deadbeef1234 in acme/gaia-gateway"),
        # Its PRs would mention a stranger (or nobody): the requester is checked to be a GitHub user.
        (["--by", "no-such-user-1"], "requested by: --by 'no-such-user-1' is no GitHub user"),
    ],
)
async def test_a_base_or_cherry_pick_github_does_not_know_creates_nothing(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    worker: None,
    task_queue: str,
    unique: str,
    flags: list[str],
    words: str,
) -> None:
    result = await asyncio.to_thread(cli, local_env, task_queue, "start", REPO, f"fix login {unique}", *flags)
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert "nothing was created" in line and words in line
    nothing_written(sandbox)


async def test_a_base_and_cherry_pick_that_exist_pass_preflight(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    repo = sandbox.github().get_repo(REPO)
    release = repo.get_branch("develop").commit.sha
    flags = ["--base", "main", "--cherry-pick", release[:10]]
    result = await asyncio.to_thread(cli, local_env, task_queue, "start", REPO, f"fix login {unique}", *flags)
    assert result.exit_code == 0, result.output
    assert "preflight       passed" in result.stdout
    # As a sentence may quote it ("... `starter.py watch ID`." while preflight still runs).
    words = (word.strip("`.,;:") for word in result.stdout.split())
    workflow_id = next(w for w in words if w.startswith("hotfix/acme/"))
    aborted = await asyncio.to_thread(cli, local_env, task_queue, "abort", workflow_id, "--reason", "over")
    assert aborted.exit_code == 0, aborted.output


async def test_a_cherry_pick_list_that_blocks_is_corrected_with_recheck(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # A commit without parents exists (preflight passes) but cannot be cherry-picked.
    dev = sandbox.github(DEV_TOKEN).get_repo(REPO)
    tree = dev.get_git_commit(dev.get_branch("main").commit.sha).tree
    root = dev.create_git_commit("An unrelated root", tree, []).sha
    handle = await start(local_env.client, task_queue, unique, cherry_picks=[root])
    status = await wait_for(handle, lambda s: "root commit" in (s.message or ""), "blocked at cherry-picking")
    assert status.step == Step.CHANGES
    # Junk is refused at the door; the right command drops the list and the hotfix goes on.
    bad = await asyncio.to_thread(cli, local_env, task_queue, "recheck", handle.id, "--cherry-pick", "main")
    assert bad.exit_code == 2 and "--cherry-pick takes commit SHAs" in one_error_line(bad)
    fixed = await asyncio.to_thread(cli, local_env, task_queue, "recheck", handle.id, "--no-cherry-picks")
    assert fixed.exit_code == 0, fixed.output
    status = await wait_for(handle, lambda s: "cherry-picks dropped" in (s.message or ""), "the list dropped")
    humans = Humans(sandbox.api_url, REPO)
    sha = await asyncio.to_thread(humans.push_change, status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await wait_for(handle, lambda s: s.tested_sha == sha, "the hotfix past changes")
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)
