"""Finding a hotfix and reading its status (cli/lookup.py): an unknown workflow ID is one line for every
command that takes one, and a status nobody can answer (no worker) says so instead of timing out.
"""

from __future__ import annotations

import asyncio
import json

from temporalio.testing import WorkflowEnvironment

from tests.cli.support import Server, invoke, one_error_line


async def test_unknown_workflow_id(server: Server, unique: str) -> None:
    for command in (["status"], ["watch"], ["changes-ready"], ["abort", "--reason", "x"]):
        result = await server.cli(command[0], f"hotfix/acme/nothing/2025-01-01_{unique}", *command[1:])
        assert result.exit_code == 1, result.output
        assert "no hotfix with workflow ID" in one_error_line(result)


async def test_status_without_a_worker_says_so(
    local_env: WorkflowEnvironment, task_queue: str, unique: str
) -> None:
    env = {
        "HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host,
        "HOTFIX_TASK_QUEUE": task_queue,
    }
    started = await asyncio.to_thread(invoke, ["start", f"acme-{unique}/gaia", "fix", "--json"], env)
    assert started.exit_code == 0, started.output
    wid = json.loads(started.stdout)["workflow_id"]
    try:
        result = await asyncio.to_thread(invoke, ["status", wid], env)
        assert result.exit_code == 1
        assert f"no worker polls task queue {task_queue!r}" in one_error_line(result)
    finally:
        await local_env.client.get_workflow_handle(wid).terminate("test over")
