"""A GitHub webhook reaches a running hotfix as a `recheck` nudge naming the event and delivery
(receiver/ on the real dev server, the real worker against the sandbox), and the sandbox's own
deliveries move a hotfix whose polls are minutes apart; with the receiver down, polls finish it."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import date, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from hotfix import naming, search_attributes
from hotfix.models import HotfixRequest, Step
from local import app_mode
from local.app_mode import webhook_nudges
from local.humans import Humans, play_happy_path, wait_for
from receiver import verify
from receiver.app import make_app
from receiver.temporal import Hotfixes
from sandbox import seed, webhooks
from tests.integration.conftest import REPO, hotfix_worker, start
from workflows.hotfix import HotfixWorkflow

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


async def test_a_hotfix_whose_worker_is_down_is_matched_from_its_memo_without_a_worker(
    local_env: WorkflowEnvironment, task_queue: str, unique: str
) -> None:
    """The receiver matches a delivery to hotfixes by their branches. A hotfix no worker serves cannot
    answer a query (each would wait out its deadline while GitHub's 10 s for the delivery run out), so
    the branches come from the memo the starter gives every hotfix."""
    request = HotfixRequest(
        repository=REPO, description=f"login loop {unique}", requested_by="dev-1", day=date(2026, 11, 23)
    )
    workflow_id = f"hotfix/{REPO}/it-{unique}"
    initial = naming.initial_status(request, workflow_id)
    handle = await local_env.client.start_workflow(
        HotfixWorkflow.run,
        request,
        id=workflow_id,
        task_queue=f"{task_queue}-nobody-polls",
        memo={naming.STATUS_MEMO: initial},
        search_attributes=TypedSearchAttributes([SearchAttributePair(search_attributes.REPOSITORY, REPO)]),
    )
    try:
        hotfixes = Hotfixes(local_env.client)
        running: dict[str, set[str]] = {}
        for _ in range(50):  # the dev server's visibility lists a new workflow within a moment
            running = await hotfixes.running(REPO)
            if handle.id in running:
                break
            await asyncio.sleep(0.2)
        assert running.get(handle.id) == {initial.work_branch, initial.prod_branch}
    finally:
        await handle.terminate("test over")


def receiver(client: Any) -> Any:
    """webhooks.py's app, served on this test's event loop (it shares the Temporal client); its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return app_mode.receiver(client, port, SECRET.decode())


LONG = timedelta(minutes=10)


async def test_the_hotfix_moves_on_the_sandboxs_webhooks_alone(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str
) -> None:
    """Polls ten minutes apart, a minute for the whole hotfix: only webhooks can move it along."""
    async with receiver(local_env.client) as url:
        sandbox.control("POST", f"apps/{seed.APP}/hook", {"url": url, "secret": SECRET.decode()})
        async with hotfix_worker(
            local_env, sandbox, task_queue, webhooks=True, webhook_poll_interval=LONG.total_seconds()
        ):
            handle = await start(local_env.client, task_queue, unique, poll_interval=LONG)
            final = await play_happy_path(
                local_env.client, handle.id, Humans(sandbox.api_url, REPO), within=60.0
            )
            assert final.step == Step.DONE
    nudges = webhook_nudges((await handle.fetch_history()).events)
    events = {by.split()[1] for by in nudges}
    # The human acts and what GitHub did after them, each told by its webhook.
    assert {"pull_request_review", "deployment_review", "pull_request"} <= events, nudges
    assert events & {"check_run", "check_suite"}, nudges
    assert "workflow_run" in events, nudges


async def test_a_receiver_down_for_the_whole_hotfix_costs_only_the_polls_safety_net(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str
) -> None:
    """Webhooks configured, nobody listening: every delivery fails, the hotfix finishes by polling."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{probe.getsockname()[1]}/github/webhook"
    sandbox.control("POST", f"apps/{seed.APP}/hook", {"url": nowhere, "secret": SECRET.decode()})
    async with hotfix_worker(local_env, sandbox, task_queue, webhooks=True, webhook_poll_interval=0.5):
        handle = await start(local_env.client, task_queue, unique)
        final = await play_happy_path(local_env.client, handle.id, Humans(sandbox.api_url, REPO))
    assert final.step == Step.DONE
    assert webhook_nudges((await handle.fetch_history()).events) == []
    failed = [
        d for d in webhooks.kept(sandbox.sandbox, webhooks.app_key(seed.APP)) if d["status"] != "pending"
    ]
    assert failed and all(d["status_code"] == 0 for d in failed), "the sandbox tried, and nobody answered"
