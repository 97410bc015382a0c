"""`start --incident` (#12 item 2) with the real worker against the sandbox GitHub: the incident is in
the hotfix PR's title and body, the UI's summary and details, the HotfixIncident search attribute,
and `list --incident` finds that hotfix and no other."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix import search_attributes
from hotfix.models import ChangesReadySignal, Step
from local.humans import Humans, wait_for
from tests.integration.conftest import REPO
from tests.integration.test_bad_input import cli as person
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration


def cli(env: WorkflowEnvironment, task_queue: str, *args: str) -> Any:
    """The CLI as a person runs it, with polls as quick as the other integration tests' (0.4 s)."""
    return person(env, task_queue, *args, HOTFIX_POLL_INTERVAL="0.4")


def started_id(result: Any) -> str:
    assert result.exit_code == 0, result.output
    # As a sentence may quote it (when preflight is still running: "... `starter.py watch ID`.").
    words = (word.strip("`.,;:") for word in result.stdout.split())
    return next(word for word in words if word.startswith(f"hotfix/{REPO}/"))


async def test_the_incident_reaches_the_pr_the_ui_and_list(
    local_env: WorkflowEnvironment, sandbox: Any, worker: None, task_queue: str, unique: str
) -> None:
    incident = f"INC-{int(unique, 16) % 100000}"
    ours = started_id(
        await asyncio.to_thread(
            cli, local_env, task_queue, "start", REPO, f"fix login {unique}", "--incident", incident
        )
    )
    other = started_id(
        await asyncio.to_thread(cli, local_env, task_queue, "start", REPO, f"fix cart {unique}", "--no-wait")
    )
    handle = local_env.client.get_workflow_handle(ours)
    description = await handle.describe()
    assert description.typed_search_attributes.get(search_attributes.INCIDENT) == incident
    assert await description.static_summary() == f"Hotfix {REPO}: fix login {unique} [incident {incident}]"
    assert f"**Incident:** {incident}" in (await description.static_details() or "")

    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes")
    await asyncio.to_thread(Humans(sandbox.api_url, REPO).push_change, status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await wait_for(handle, lambda s: s.pull_request is not None, "the hotfix PR")
    assert status.pull_request is not None
    pr = sandbox.github().get_repo(REPO).get_pull(status.pull_request.number)
    assert pr.title == f"Hotfix: fix login {unique} ({incident})"
    assert f"**Incident:** {incident.replace('-', chr(92) + '-')}" in pr.body.splitlines()

    listed: list[str] = []
    for _ in range(50):  # visibility lists a new search attribute value within a moment
        result = await asyncio.to_thread(cli, local_env, task_queue, "list", "--incident", incident, "--json")
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        rows = json.loads("\n".join(lines[lines.index("[") :]))
        listed = [row["workflow_id"] for row in rows]
        if listed:
            break
        await asyncio.sleep(0.2)
    assert listed == [ours] and other not in listed
    assert rows[0]["incident"] == incident
    for workflow_id in (ours, other):
        await local_env.client.get_workflow_handle(workflow_id).terminate("test over")
