"""`doctor` (cli/doctor.py): the preflight checks run on the worker; exit 1 with the failing check's fix
when one fails, and one line when no worker polls the task queue.
"""

from __future__ import annotations

import asyncio
import json

from temporalio.testing import WorkflowEnvironment

from tests.cli.support import Server, invoke, one_error_line


async def test_doctor_runs_preflight_on_the_worker(server: Server, unique: str) -> None:
    ok = await server.cli("doctor", "acme/gaia-gateway")
    assert ok.exit_code == 0, ok.output
    assert "repository" in ok.stdout

    server.github.preflight_failure = "prod does not admit prod/hotfix/*"
    failed = await server.cli("doctor", "acme/gaia-gateway", "--json")
    assert failed.exit_code == 1
    payload = json.loads(failed.stdout)
    assert payload["ok"] is False
    [check] = [c for c in payload["checks"] if c["outcome"] == "fail"]
    assert check["fix"] == "add prod/hotfix/* to the environment's deployment branches"


async def test_doctor_without_a_worker_says_so(local_env: WorkflowEnvironment, task_queue: str) -> None:
    env = {"HOTFIX_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host}
    result = await asyncio.to_thread(invoke, ["doctor", "acme/gaia-gateway", "--task-queue", task_queue], env)
    assert result.exit_code == 1
    assert f"no worker polls task queue {task_queue!r}" in one_error_line(result)
