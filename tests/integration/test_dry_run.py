"""`start --dry-run` (#12 item 3): the plan of a hotfix, read from the sandbox GitHub by the real
worker, with zero writes to GitHub and no workflow left running. Written as the dry run that cheats
would be caught: one that started the hotfix makes branches (writes) and leaves a hotfix behind."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from tests.integration.conftest import REPO
from tests.integration.test_bad_input import cli, nothing_written

pytestmark = pytest.mark.integration


async def dry_runs_of(client: Client, repository: str) -> list[WorkflowExecutionStatus | None]:
    """The statuses of the dry runs of `repository`, once visibility lists at least one."""
    owner, name = repository.split("/")
    query = f"WorkflowType = 'DryRunWorkflow' AND WorkflowId STARTS_WITH 'hotfix-dry-run/{owner}/{name}/'"
    for _ in range(100):
        found = [e.status async for e in client.list_workflows(query)]
        if found:
            return found
        await asyncio.sleep(0.1)
    return []


async def hotfix_exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def test_a_dry_run_plans_from_the_deployment_writes_nothing_and_leaves_nothing_running(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    live = next(
        d
        for d in sandbox.github().get_repo(REPO).get_deployments(environment="prod")
        if next(iter(d.get_statuses()), None) is not None and next(iter(d.get_statuses())).state == "success"
    )
    args = ("start", REPO, f"fix login {unique}", "--dry-run")
    result = await asyncio.to_thread(cli, local_env, task_queue, *args, "--json")
    assert result.exit_code == 0, result.output
    # The in-process worker logs to the same stdout; the CLI's JSON document starts at a line "{".
    lines = result.stdout.splitlines()
    found = json.loads("\n".join(lines[lines.index("{") :]))
    assert found["would_start"] is True
    assert found["base"]["source"] == "deployment"
    assert (found["base"]["deployment_id"], found["base"]["sha"]) == (live.id, live.sha)
    assert found["work_branch"].startswith("hotfix/") and found["prod_branch"].startswith("prod/hotfix/")
    assert [pr["base"] for pr in found["pull_requests"]] == [found["prod_branch"], "develop"]
    assert found["approvals"]["deployment"] == ["prod-reviewer-1", "prod-reviewer-2"]
    assert found["deploy"] == {"workflow": "deploy.yml", "ref": found["prod_branch"], "environment": "prod"}

    shown = await asyncio.to_thread(cli, local_env, task_queue, *args)
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "would start; nothing was created" in text and f"deployment {live.id}" in text

    nothing_written(sandbox)
    assert not await hotfix_exists(local_env.client, found["workflow_id"])
    runs = await dry_runs_of(local_env.client, REPO)
    assert runs and all(status == WorkflowExecutionStatus.COMPLETED for status in runs), runs


async def test_a_dry_run_that_preflight_would_stop_exits_1_with_the_reason_and_writes_nothing(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    args = ("start", REPO, f"fix login {unique}", "--dry-run", "--base", "no-such-branch")
    result = await asyncio.to_thread(cli, local_env, task_queue, *args)
    assert result.exit_code == 1, result.output
    text = " ".join(result.stdout.split())
    assert "would stop" in text and "--base 'no-such-branch' is no branch, tag or commit" in text
    nothing_written(sandbox)
    workflow_id = text.split("Dry run of hotfix ", 1)[1].split(":", 1)[0]
    assert workflow_id.startswith(f"hotfix/{REPO}/")
    assert not await hotfix_exists(local_env.client, workflow_id)
    runs = await dry_runs_of(local_env.client, REPO)
    assert runs and all(status == WorkflowExecutionStatus.COMPLETED for status in runs), runs
