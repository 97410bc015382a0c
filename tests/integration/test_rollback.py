"""`starter.py rollback` (#12 item 4) with the real worker against the sandbox GitHub: after a hotfix
the rollback puts back what ran before through the environment's reviewers, and the next hotfix
starts from what the rollback deployed. What cannot be rolled back is refused by the command with
the reason, and nothing is written to GitHub."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import Step
from hotfix.outcome import final_result
from local.humans import Humans, play_happy_path, wait_for
from sandbox.seed import DEV_TOKEN
from tests.cli.support import one_error_line
from tests.integration.conftest import REPO, prod_deployments, start
from tests.integration.test_bad_input import cli as person
from tests.integration.test_bad_input import nothing_written
from workflows.rollback import RollbackWorkflow

pytestmark = pytest.mark.integration


def cli(env: WorkflowEnvironment, task_queue: str, *args: str) -> Any:
    return person(env, task_queue, *args, HOTFIX_POLL_INTERVAL="0.4", HOTFIX_LANE_WATCH_INTERVAL="0.5")


def started_id(result: Any) -> str:
    assert result.exit_code == 0, result.output
    words = (word.strip("`.,;:") for word in result.stdout.split())
    return next(word for word in words if word.startswith(f"rollback/{REPO}/"))


async def test_a_rollback_after_a_hotfix_brings_back_what_ran_and_the_next_hotfix_bases_on_it(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    repo = sandbox.github().get_repo(REPO)
    [before] = prod_deployments(sandbox)
    humans = Humans(sandbox.api_url, REPO)
    hotfix = await start(local_env.client, task_queue, unique)
    fixed = await play_happy_path(local_env.client, hotfix.id, humans)
    assert fixed.deployed_sha and fixed.deployed_sha != before.sha

    result = await asyncio.to_thread(
        cli, local_env, task_queue, "rollback", REPO, "--reason", f"login fix made it worse {unique}"
    )
    handle = local_env.client.get_workflow_handle_for(RollbackWorkflow.run, started_id(result))
    status = await wait_for(handle, lambda s: s.run_id is not None, "the rollback's deploy run")
    assert status.rollback is not None and status.run_id is not None
    assert (status.rollback.current_sha, status.rollback.deployment, status.rollback.sha) == (
        fixed.deployed_sha,
        before.id,
        before.sha,
    )
    # The back-merge moved main on since, so the rollback deploys a branch made at the old commit.
    assert repo.get_branch(status.prod_branch).commit.sha == before.sha
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    done = await wait_for(handle, lambda s: s.step == Step.DONE, "the rollback's end")
    assert done.deployed_sha == before.sha
    newest = prod_deployments(sandbox)[0]
    assert (newest.sha, newest.ref) == (before.sha, status.prod_branch)
    record = (await final_result(handle)).record
    assert record is not None and record.run_conclusion == "success"
    assert before.sha in [d.sha for d in record.deployments]
    assert "reviewer-2" in " ".join(a.reviewer for a in record.approvals)

    # "Base = what was last deployed": the next hotfix starts from the rollback, not from the fix.
    after = await start(local_env.client, task_queue, f"{unique}-next")
    status = await wait_for(after, lambda s: s.step == Step.CHANGES, "the next hotfix's changes")
    assert status.base_sha == before.sha
    await after.terminate("test over")


async def test_a_rollback_with_nothing_earlier_is_refused_and_writes_nothing(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    assert len(prod_deployments(sandbox)) == 1  # the seed's one deployment of main
    result = await asyncio.to_thread(cli, local_env, task_queue, "rollback", REPO, "--reason", "undo")
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert "there is nothing to roll back to" in line, line
    assert "refused, nothing was created: no deployment to prod before" in line and line.count("refused") == 1
    nothing_written(sandbox)


def deploy_by_hand(sandbox: Any, ref: str) -> int:
    """A deployment of `ref` to prod that succeeded, made through the REST API (as another tool would)."""
    repo = sandbox.github(DEV_TOKEN).get_repo(REPO)
    deployment = repo.create_deployment(ref=ref, environment="prod", auto_merge=False, required_contexts=[])
    deployment.create_status("success")
    return int(deployment.id)


@pytest.mark.parametrize("given", [False, True])
async def test_a_rollback_to_a_ref_that_is_gone_is_refused_with_how_to_restore_it(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, given: bool
) -> None:
    repo = sandbox.github(DEV_TOKEN).get_repo(REPO)
    old = repo.get_branch("develop").commit.sha
    repo.create_git_ref("refs/heads/release-1", old)
    earlier = deploy_by_hand(sandbox, "release-1")
    deploy_by_hand(sandbox, "main")
    repo.get_git_ref("heads/release-1").delete()
    sandbox.clear_requests()
    to = ["--to", str(earlier)] if given else []
    result = await asyncio.to_thread(cli, local_env, task_queue, "rollback", REPO, "--reason", "undo", *to)
    assert result.exit_code == 1, result.output
    line = one_error_line(result)
    assert "the ref release-1 of that deployment no longer exists" in line, line
    assert f"git push origin {old}:refs/heads/release-1" in line
    nothing_written(sandbox)


async def test_a_rollback_to_an_unknown_or_foreign_deployment_is_refused(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str
) -> None:
    repo = sandbox.github(DEV_TOKEN).get_repo(REPO)
    staging = repo.create_deployment(
        ref="develop", environment="staging", auto_merge=False, required_contexts=[]
    )
    for to, words in ((987654, "has no deployment 987654: check --to"), (staging.id, "went to 'staging'")):
        result = await asyncio.to_thread(
            cli, local_env, task_queue, "rollback", REPO, "--reason", "undo", "--to", str(to)
        )
        assert result.exit_code == 1, result.output
        assert words in one_error_line(result)
