"""What a running worker tells an operator about a hotfix (#13 items 4 and 5): its log, every line a
JSON object (the SDK's lines and tracebacks included), with a line per step change and per human
action; and its metrics, scraped from the worker while the hotfix runs.

worker.py runs as a process of its own, output piped to a file, against the sandbox GitHub.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.common.v1 import Payload, Payloads, WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import Step
from local.humans import DEV, Humans, play_happy_path
from tests.cli.support import free_port
from tests.integration.conftest import REPO, start
from tests.integration.test_hotfix_dev_server import spawn_worker, worker_process_env

pytestmark = pytest.mark.integration
__all__ = ["worker_process_env"]  # the fixture


async def _until(log: Path, text: str, proc: Any, within: float = 40) -> None:
    deadline = time.monotonic() + within
    while text not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        await asyncio.sleep(0.1)


async def _undecodable_signal(env: WorkflowEnvironment, workflow_id: str) -> None:
    """A signal whose payload no converter reads: the SDK drops it with a traceback (logger.exception)."""
    await env.client.workflow_service.signal_workflow_execution(
        SignalWorkflowExecutionRequest(
            namespace=env.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            signal_name="recheck",
            input=Payloads(payloads=[Payload(metadata={"encoding": b"binary/unknown"}, data=b"\x00")]),
            identity="test",
        )
    )


def scrape(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


async def test_the_worker_log_tells_the_hotfix_in_json_lines(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    worker_process_env: dict[str, str],
    tmp_path: Path,
) -> None:
    log = tmp_path / "worker.log"
    metrics_port = free_port()
    proc = spawn_worker({**worker_process_env, "HOTFIX_METRICS_PORT": str(metrics_port)}, log)
    try:
        await _until(log, '"worker started"', proc)
        handle = await start(local_env.client, task_queue, unique)
        await _undecodable_signal(local_env, handle.id)
        await handle.signal("recheck")  # as the UI sends it: no payload, so no `by`
        final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
        assert final.step == Step.DONE
        await _until(log, '"step": "done"', proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=45)
    text = log.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"line {number} of the worker's output is not JSON: {line[:300]}")
    assert all(isinstance(r, dict) and "event" in r and "level" in r for r in records)

    mine = [r for r in records if r.get("workflow_id") == handle.id]
    steps = [r["step"] for r in mine if r["event"] == "step changed"]
    assert steps[:3] == ["preflight", "queued", "branches"] or steps[:2] == ["preflight", "branches"], steps
    for step in ("changes", "tests", "pull_request", "approval", "deploy", "deploy_approval", "back_merge", "done"):
        assert step in steps, (step, steps)
    assert all(r["level"] == "info" and r["temporal_run_id"] for r in mine if r["event"] == "step changed")

    actions = [r for r in mine if r["event"] == "human action seen"]
    assert [(a["action"], a["by"]) for a in actions] == [("recheck", "not given"), ("changes_ready", DEV[0])]

    # The SDK's own line (a standard library logger), its traceback a field, not lines of its own.
    dropped = next(r for r in records if "Failed deserializing signal input" in r["event"])
    assert dropped["logger"].startswith("temporalio") and dropped["workflow_id"] == handle.id
    assert isinstance(dropped["exception"], list) and dropped["exception"][0]["exc_type"]

    # A Temporal run and a GitHub run are told apart.
    dispatched = next(r for r in mine if r["event"] == "deploy dispatched")
    assert dispatched["github_run_id"] == final.run_id
    assert dispatched["temporal_run_id"] == handle.result_run_id
    assert not any("run_id" in r for r in records), "a bare run_id is ambiguous"
    assert "sandbox-bot-token" not in text
