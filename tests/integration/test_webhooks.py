"""A GitHub webhook reaches a running hotfix as a `recheck` nudge naming the event and delivery
(receiver/ on the real dev server, the real worker against the sandbox)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from temporalio.testing import WorkflowEnvironment

from hotfix.models import Step
from local.humans import wait_for
from receiver import verify
from receiver.app import make_app
from receiver.temporal import Hotfixes
from tests.integration.conftest import REPO, start

pytestmark = pytest.mark.integration
SECRET = b"webhook-secret"


async def test_a_push_to_a_hotfix_branch_nudges_that_hotfix(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    handle = await start(local_env.client, task_queue, unique)
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    hotfixes = Hotfixes(local_env.client)
    client = TestClient(make_app(SECRET, hotfixes.running, hotfixes.nudge))
    body = json.dumps({"ref": f"refs/heads/{status.work_branch}", "repository": {"full_name": REPO}}).encode()
    headers = {
        "X-GitHub-Event": "push",
        "X-Hub-Signature-256": verify.signature(SECRET, body),
        "Content-Type": "application/json",
    }
    signalled: list[str] = []
    for attempt in range(50):  # the dev server's visibility lists a new workflow within a moment
        headers["X-GitHub-Delivery"] = f"delivery-{attempt}"
        reply = await asyncio.to_thread(client.post, "/github/webhook", content=body, headers=headers)
        signalled = reply.json().get("signalled", [])
        if signalled:
            break
        await asyncio.sleep(0.2)
    assert signalled == [handle.id]
    history = await handle.fetch_history()
    rechecks = [
        json.loads(e.workflow_execution_signaled_event_attributes.input.payloads[0].data)
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
        and e.workflow_execution_signaled_event_attributes.signal_name == "recheck"
    ]
    assert rechecks == [{"by": f"webhook push {headers['X-GitHub-Delivery']}", "cherry_picks": None}]
    await handle.terminate("test over")
