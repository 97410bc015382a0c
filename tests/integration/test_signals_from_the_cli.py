"""Signals as people send them by hand, through the real `temporal` CLI: none can wedge a hotfix.

`temporal workflow signal` without `--input` sends no payload (like the UI's empty Data box);
`--input null` sends JSON null; `--input '"stop"'` and `--input 42` send junk. The hotfix takes each,
says what it ignored, and still finishes with the real activities against the sandbox GitHub.
"""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import Step
from hotfix.outcome import final_result
from local.humans import Humans, wait_for
from tests.conftest import venv_binary
from tests.integration.conftest import REPO, start

pytestmark = pytest.mark.integration


def temporal_signal(env: WorkflowEnvironment, workflow_id: str, name: str, *payload: str) -> None:
    """`temporal workflow signal` as a person types it; `payload` is the text after --input, if any."""
    command = [
        venv_binary("temporal"),
        "workflow",
        "signal",
        "--address",
        env.client.service_client.config.target_host,
        "--workflow-id",
        workflow_id,
        "--name",
        name,
    ]
    for text in payload:
        command += ["--input", text]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


async def test_signals_without_payload_null_and_junk_from_the_cli(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    humans = Humans(sandbox.api_url, REPO)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    # Junk while nothing is pushed yet: the hotfix looks, finds no commits, and keeps waiting.
    for payload in ('"stop"', "42", "null"):
        await asyncio.to_thread(temporal_signal, local_env, handle.id, "recheck", payload)
    await asyncio.to_thread(humans.push_change, status.work_branch)
    await asyncio.to_thread(temporal_signal, local_env, handle.id, "changes_ready")
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")
    assert status.pull_request is not None
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    await asyncio.to_thread(temporal_signal, local_env, handle.id, "recheck", "null")
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    await asyncio.to_thread(temporal_signal, local_env, handle.id, "retry_deploy", '{"by": 5}')
    status = await wait_for(
        handle, lambda s: s.step == Step.BACK_MERGE and s.back_merge_pull_request is not None, "back-merge"
    )
    assert status.back_merge_pull_request is not None
    # Sent while the hotfix still waits, so it cannot race the hotfix's own look at the merge.
    await asyncio.to_thread(temporal_signal, local_env, handle.id, "recheck")
    await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)
    result = await final_result(handle)
    assert result.status.step == Step.DONE
    ignored = result.status.ignored_inputs
    assert [line.split(" ignored")[0] for line in ignored] == [
        "recheck: payload 'stop'",
        "recheck: payload 42",
        "retry_deploy: payload {'by': 5}",
    ]


async def test_abort_without_payload_from_the_cli_withdraws_the_hotfix(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    await asyncio.to_thread(temporal_signal, local_env, handle.id, "abort")
    result = await final_result(handle)
    assert result.status.step == Step.ABORTED
    assert result.status.reason == "aborted without a reason"
    repo = sandbox.github().get_repo(REPO)
    names = {b.name for b in repo.get_branches()}
    assert result.status.work_branch not in names and result.status.prod_branch not in names
