"""Finding a hotfix and reading its status (cli/lookup.py): an unknown workflow ID is one line for every
command that takes one; a hotfix's status is read from Temporal (its memo) even when no worker runs,
and says that none does; a hotfix that keeps no status in its memo and has no worker says so instead
of timing out.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date

from temporalio.testing import WorkflowEnvironment

from hotfix.models import HotfixRequest
from tests.cli.support import Server, invoke, one_error_line
from workflows.hotfix import HotfixWorkflow

DAY = date(2026, 11, 23)


async def test_unknown_workflow_id(server: Server, unique: str) -> None:
    for command in (["status"], ["watch"], ["changes-ready"], ["abort", "--reason", "x"]):
        result = await server.cli(command[0], f"hotfix/acme/nothing/2025-01-01_{unique}", *command[1:])
        assert result.exit_code == 1, result.output
        assert "no hotfix with workflow ID" in one_error_line(result)


async def test_status_without_a_worker_is_read_from_temporal_and_says_no_worker_runs(
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
        result = await asyncio.to_thread(invoke, ["status", wid, "--json"], env)
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        assert shown["step"] == "preflight"
        assert shown["work_branch"].endswith(wid.split("/")[-1])
        assert any(f"no worker polls task queue {task_queue!r}" in note for note in shown["worker"])
    finally:
        await local_env.client.get_workflow_handle(wid).terminate("test over")


async def test_a_hotfix_without_a_status_memo_and_without_a_worker_says_so(
    local_env: WorkflowEnvironment, task_queue: str, unique: str
) -> None:
    # Hotfixes started before STATUS_IN_MEMO (or without the starter) keep no status in their memo:
    # only a worker can answer for them.
    request = HotfixRequest(
        repository=f"acme-{unique}/gaia", description="fix", requested_by="dev-1", day=DAY
    )
    handle = await local_env.client.start_workflow(
        HotfixWorkflow.run, request, id=f"hotfix/acme-{unique}/gaia/no-memo", task_queue=task_queue
    )
    env = {
        "HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host,
        "HOTFIX_TASK_QUEUE": task_queue,
    }
    try:
        result = await asyncio.to_thread(invoke, ["status", handle.id], env)
        assert result.exit_code == 1
        assert f"no worker polls task queue {task_queue!r}" in one_error_line(result)
    finally:
        await handle.terminate("test over")
