"""More Actions → Send a Signal, with the payloads the README gives: the hotfix moves on as it does
when the CLI sends the same signal. Each result is read back from history and the `status` query."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from hotfix.models import HotfixStatus, Step
from hotfix.outcome import final_result
from local.humans import Humans, wait_for
from tests.integration.conftest import REPO
from tests.ui.temporal_ui import ROOT, TemporalUI, failed_workflow_tasks, history, signals_in

pytestmark = pytest.mark.ui

# The README's "Driving a hotfix from the Temporal UI" gives these, word for word.
README_PAYLOADS = {
    "changes_ready": '{"by": "dev-1"}',
    "recheck": '{"by": "dev-1"}',
    "retry_deploy": '{"by": "dev-1"}',
    "abort": '{"reason": "wrong fix", "by": "dev-1"}',
}


def test_the_readme_documents_these_payloads() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, payload in README_PAYLOADS.items():
        assert f"`{name}` with `{payload}`" in readme, name


async def send(ui: TemporalUI, handle: Any, name: str) -> HotfixStatus:
    """Send `name` with the README's payload from the page; check history recorded just that."""
    before = len(signals_in(await history(handle)))
    await ui.send_signal(name, README_PAYLOADS[name])
    sent = signals_in(await history(handle))[before:]
    assert [(n, [json.loads(d) for d in data]) for n, data in sent] == [
        (name, [json.loads(README_PAYLOADS[name])])
    ]
    return await wait_for(handle, lambda s: any(f"{name}, by dev-1" in line for line in s.signals), name)


async def looked_again_after(handle: Any, name: str, within: float = 15.0) -> bool:
    """After the last `name` signal in history: the poll running then cancelled, a new one scheduled."""
    for _ in range(int(within / 0.2)):
        events = await history(handle)
        last = max(i for i, e in enumerate(events) if signal_name(e) == name)
        after = {e.event_type for e in events[last:]}
        if {
            EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
        } <= after:
            return True
        await asyncio.sleep(0.2)
    return False


def signal_name(event: Any) -> str | None:
    if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        return None
    return str(event.workflow_execution_signaled_event_attributes.signal_name)


async def test_changes_ready_recheck_and_retry_deploy_from_the_page_move_the_hotfix_to_its_end(
    ui: TemporalUI, unique: str
) -> None:
    humans = Humans(ui.sandbox.api_url, REPO)
    status, handle = await ui.started_at(f"Fix signals {unique}", lambda s: s.step == Step.CHANGES, "changes")
    await asyncio.to_thread(humans.push_change, status.work_branch)

    await send(ui, handle, "changes_ready")
    status = await wait_for(handle, lambda s: s.step == Step.APPROVAL and s.pull_request is not None, "PR")

    # recheck makes it look at GitHub again: the running poll is dropped for a fresh one (history);
    # nothing is approved yet, so it stays at approval.
    status = await send(ui, handle, "recheck")
    assert status.step == Step.APPROVAL
    assert await looked_again_after(handle, "recheck")
    assert status.pull_request is not None
    await asyncio.to_thread(humans.approve_pull_request, status.pull_request.number)
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL and s.run_id is not None, "run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id, state="rejected")
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_FAILED, "deploy_failed")

    # retry_deploy re-runs the rejected run: it waits for the environment's reviewers again.
    await send(ui, handle, "retry_deploy")
    status = await wait_for(handle, lambda s: s.step == Step.DEPLOY_APPROVAL, "the re-run")
    assert status.run_id is not None
    await asyncio.to_thread(humans.approve_deployment, status.run_id)
    status = await wait_for(handle, lambda s: s.back_merge_pull_request is not None, "back-merge PR")
    assert status.back_merge_pull_request is not None
    await asyncio.to_thread(humans.merge_pull_request, status.back_merge_pull_request.number)

    result = await final_result(handle)
    assert result.status.step == Step.DONE
    assert failed_workflow_tasks(await history(handle)) == []


async def test_abort_from_the_page_withdraws_the_hotfix(ui: TemporalUI, unique: str) -> None:
    status, handle = await ui.started_at(f"Fix abort {unique}", lambda s: s.step == Step.CHANGES, "changes")
    branches = {b.name for b in ui.sandbox.github().get_repo(REPO).get_branches()}
    assert {status.work_branch, status.prod_branch} <= branches

    await send(ui, handle, "abort")

    result = await final_result(handle)
    assert result.status.step == Step.ABORTED
    assert result.status.reason == "wrong fix"
    # Nobody had pushed to them, so both branches are gone (as after `starter.py abort`).
    branches = {b.name for b in ui.sandbox.github().get_repo(REPO).get_branches()}
    assert not {status.work_branch, status.prod_branch} & branches
