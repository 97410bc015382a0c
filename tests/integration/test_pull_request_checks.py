"""The PR's own checks: Actions runs CI again on a PR's head (`pull_request`), besides the push's run.

A reviewer who approves while that run is still going gets the merge refused by the branch's rules
("Required status check ... is expected"). The hotfix must merge by itself once the run is green, as
GitHub shows it (the PR's `mergeable_state` turns from `blocked` to `clean`), not wait for a human to
send recheck.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, Step
from hotfix.outcome import final_result
from local.humans import wait_for
from sandbox.seed import ACTIONS_BOT_TOKEN
from tests.integration.conftest import writes
from tests.integration.test_reviewed_only import at_approval
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration


@pytest.mark.slow  # make test keeps the failing PR check
async def test_an_approval_before_the_prs_checks_finish_merges_once_they_are_green(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    # The PR's run takes a while, as real CI does; the push's run before it was quick.
    sandbox.set_settings(ci_seconds=4.0)
    handle, humans, _, sha, number = await at_approval(local_env, sandbox, task_queue, unique)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    await wait_for(handle, lambda s: s.merged_sha is not None, "the merge", within=30)
    runs = sandbox.github().get_repo("acme/gaia-gateway").get_commit(sha).get_check_runs()
    assert [(r.name, r.conclusion) for r in runs] == [("ci", "success"), ("ci", "success")]
    assert len(writes(sandbox, "PUT", r"/repos/acme/gaia-gateway/pulls/\d+/merge", 200)) == 1
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)


async def test_a_pr_check_that_fails_after_the_approval_stops_the_merge(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    sandbox.set_settings(ci_seconds=8.0)
    handle, humans, status, sha, number = await at_approval(local_env, sandbox, task_queue, unique)
    await asyncio.to_thread(humans.approve_pull_request, number, commit_id=sha)
    await wait_for(
        handle, lambda s: "waiting for every check" in (s.message or ""), "the wait for the PR's checks"
    )
    # Actions reports the PR's run failed (a test against the merge result with the base, say).
    actions = sandbox.github(ACTIONS_BOT_TOKEN).get_repo("acme/gaia-gateway")
    running = [r for r in actions.get_commit(sha).get_check_runs() if r.status != "completed"]
    assert len(running) == 1
    running[0].edit(status="completed", conclusion="failure")
    # Back at step 4 the PR's note comes first, then the look at the branch finds the same failure.
    status = await wait_for(
        handle,
        lambda s: s.step == Step.TESTS and (s.message or "").startswith("checks failed"),
        "back to waiting for a fix",
    )
    assert status.message == f"checks failed on {sha[:12]}: ci; push a fix to {status.work_branch}"
    comments = sandbox.github().get_repo("acme/gaia-gateway").get_pull(number).get_issue_comments()
    assert any(c.body.startswith(f"Checks failed on PR #{number} at {sha[:12]} (ci)") for c in comments)
    assert writes(sandbox, "PUT", r"/repos/acme/gaia-gateway/pulls/\d+/merge") == []
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
    await final_result(handle)
