"""Record the histories the replay tests replay: `python -m tests.workflows.record_histories`.

With no argument it records only the scenarios that have no history yet; name scenarios to
re-record them. Re-record only when a change is *meant* to be incompatible, and even then prefer a
`workflow.patched` branch while any hotfix could still be running on the old code.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.registry import lane_activities
from hotfix import search_attributes
from hotfix.models import AbortSignal, ChangesReadySignal, RecheckSignal, RetryDeploySignal, Step
from hotfix.outcome import final_result
from service.temporal import add_search_attributes
from tests.conftest import venv_binary
from tests.workflows.conftest import SETTINGS, Harness
from tests.workflows.fake_github import FakeActivities, FakeGitHub
from tests.workflows.test_hotfix import drive_to_deploy_approval, finish_back_merge
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow

HERE = Path(__file__).parent / "histories"


async def happy_path(h: Harness, description: str = "happy path") -> WorkflowHandle:
    handle = await h.start(description)
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await finish_back_merge(h, handle)
    return handle


async def abort(h: Harness) -> WorkflowHandle:
    handle = await h.start("aborted")
    await h.reach(handle, Step.CHANGES)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix", by="dev-1"))
    await final_result(handle)
    return handle


async def abort_during_action(h: Harness) -> WorkflowHandle:
    """Recorded after the `abort-interrupts-actions` patch: its history carries the patch marker."""
    h.gh.down = True
    handle = await h.start("github down")
    for _ in range(200):
        if h.gh.calls.count("preflight") >= 2:
            break
        await asyncio.sleep(0.05)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="GitHub is down", by="dev-1"))
    await final_result(handle)
    h.gh.down = False
    return handle


async def deploy_failed(h: Harness) -> WorkflowHandle:
    """The deploy run fails without a rejection, then retry_deploy: `failed-run-may-have-deployed`."""
    handle = await h.start("deploy failed")
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id, conclusion="failure")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.DEPLOY_FAILED)
    await handle.signal(HotfixWorkflow.retry_deploy, RetryDeploySignal(by="dev-1"))
    await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: s.step == Step.DEPLOY_APPROVAL)
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await finish_back_merge(h, handle)
    return handle


async def reviewed_head(h: Harness) -> WorkflowHandle:
    """A push after the approval: `reviewed-commit-only` tests the new head and waits for its approval."""
    handle = await h.start("pushed after approval")
    status = await h.reach(handle, Step.CHANGES)
    h.gh.commit(status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))
    status = await h.reach(handle, Step.APPROVAL)
    assert status.pull_request is not None
    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    h.gh.commit(status.work_branch, "second")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.APPROVAL, lambda s: bool(s.ignored_approvals))
    assert status.pull_request is not None
    h.gh.review(status.pull_request.number, "prod-reviewer-1", "APPROVED")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.DEPLOY_APPROVAL, lambda s: s.run_id is not None)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await finish_back_merge(h, handle)
    return handle


async def lane_watch(h: Harness) -> WorkflowHandle:
    """Queued behind another, the hotfix watches its lane (`queued-rejoins-vanished-lane`), then goes."""
    watching = SETTINGS.model_copy(update={"lane_watch_interval": timedelta(seconds=0.2)})
    first = await h.start("ahead in the lane")
    await h.reach(first, Step.CHANGES)
    second = await h.start("watching its lane", settings=watching)
    await h.reach(second, Step.QUEUED, lambda s: s.queued_behind == first.id)
    await asyncio.sleep(1.0)  # the watch looks a few times
    await first.signal(HotfixWorkflow.abort, AbortSignal(reason="withdrawn", by="dev-1"))
    await final_result(first)
    await h.reach(second, Step.CHANGES)
    await second.signal(HotfixWorkflow.abort, AbortSignal(reason="done watching", by="dev-1"))
    await final_result(second)
    return second


async def back_merge_conflict(h: Harness) -> WorkflowHandle:
    """The back-merge PR conflicts (`back-merge-conflicts`): reported once, resolved, merged by hand."""
    handle = await h.start("back-merge conflict")
    status = await drive_to_deploy_approval(h, handle)
    assert status.run_id is not None
    h.gh.approve_run(status.run_id)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    status = await h.reach(handle, Step.BACK_MERGE, lambda s: s.back_merge_pull_request is not None)
    assert status.back_merge_pull_request is not None
    number = status.back_merge_pull_request.number
    h.gh.conflict(number, "app.py")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.BACK_MERGE, lambda s: "conflicts" in (s.awaiting or ""))
    h.gh.resolve_conflict(number)
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.BACK_MERGE, lambda s: "no longer conflicts" in (s.message or ""))
    await finish_back_merge(h, handle)
    return handle


async def notifying(h: Harness) -> WorkflowHandle:
    h.gh.notify = True
    try:
        return await happy_path(h, description="notified")
    finally:
        h.gh.notify = False


async def blocked(h: Harness) -> WorkflowHandle:
    """GitHub refuses the branch, then a fix and a recheck (`blocked-listed`); then an abort."""
    h.gh.refuse.add("create_branch")
    handle = await h.start("blocked")
    await h.reach(handle, Step.BRANCHES, lambda s: (s.message or "").startswith("blocked:"))
    h.gh.refuse.discard("create_branch")
    await handle.signal(HotfixWorkflow.recheck, RecheckSignal())
    await h.reach(handle, Step.CHANGES)
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over", by="dev-1"))
    await final_result(handle)
    return handle


async def aborted_while_blocked(h: Harness) -> WorkflowHandle:
    """GitHub refuses the branch and the hotfix is aborted while blocked (HotfixBlocked cleared)."""
    h.gh.refuse.add("create_branch")
    handle = await h.start("aborted while blocked")
    await h.reach(handle, Step.BRANCHES, lambda s: (s.message or "").startswith("blocked:"))
    await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="wrong fix", by="dev-1"))
    await final_result(handle)
    h.gh.refuse.discard("create_branch")
    return handle


# happy_path and abort were recorded before the patches and replay their old branches; keep them.
SCENARIOS: dict[str, Callable[[Harness], Awaitable[WorkflowHandle]]] = {
    "happy_path": happy_path,
    "abort": abort,
    "abort_during_action": abort_during_action,
    "deploy_failed": deploy_failed,
    "reviewed_head": reviewed_head,
    # Recorded after `required-checks-from-rules`: the happy path reading the required checks.
    "required_checks": partial(happy_path, description="required checks"),
    # Recorded after `every-wait-has-a-deadline-and-reminders`.
    "every_wait": partial(happy_path, description="every wait named"),
    "lane_watch": lane_watch,
    # Recorded after `heartbeats-notice-a-dead-worker`: one look per poll attempt, short heartbeats.
    "dead_worker": partial(happy_path, description="dead worker noticed"),
    # Recorded after `checks-of-the-pr-before-merge`: the PR's own checks waited for before the merge.
    "pr_checks": partial(happy_path, description="checks of the pr"),
    # Recorded after `status-in-memo`: the happy path writing its status to the memo.
    "status_in_memo": partial(happy_path, description="status in memo"),
    # Recorded after `change-record`: the happy path ending with its change record.
    "change_record": partial(happy_path, description="change record"),
    # Recorded after `notify-at-waits`: a worker with chat targets, a message at each wait and the end.
    "notify": notifying,
    # Recorded after `back-merge-conflicts`: the back-merge PR conflicts, is reported, then resolved.
    "back_merge_conflict": back_merge_conflict,
    # Recorded after `early-end-fails`: the abort ends the run Failed (HotfixAborted), not Completed.
    "early_end": abort,
    # Recorded before `blocked-listed` (its upserts taken out for the recording): the old path.
    "blocked_unlisted": blocked,
    # Recorded after `blocked-listed`: HotfixBlocked set while blocked, cleared after the recheck.
    "blocked": blocked,
    # Recorded after `lean-history`: one marker for all the patches before it, one timer per wait,
    # the search attributes the starter set not upserted again.
    "lean": partial(happy_path, description="lean history"),
    "lean_blocked": blocked,
    "lean_aborted_while_blocked": aborted_while_blocked,
}


async def record(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await add_search_attributes(env.client, [key.name for key in search_attributes.ALL])
    gh = FakeGitHub()
    task_queue = f"record-{uuid.uuid4()}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[HotfixWorkflow, LaneWorkflow],
        activities=[*FakeActivities(gh).all(), *lane_activities(env.client, task_queue)],
    ):
        h = Harness(env, gh, task_queue, "replay")
        for name in names:
            handle = await SCENARIOS[name](h)
            history = await handle.fetch_history()
            data = json.loads(history.to_json())
            (HERE / f"{name}.json").write_text(
                json.dumps({"workflow_id": handle.id, "history": data}, indent=1)
            )
            print(f"wrote {name}.json: {len(history.events)} events")
        await h.terminate_leftovers()
    await env.shutdown()


if __name__ == "__main__":
    wanted = sys.argv[1:] or [name for name in SCENARIOS if not (HERE / f"{name}.json").exists()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s) {sorted(unknown)}; known: {sorted(SCENARIOS)}")
    asyncio.run(record(wanted))
