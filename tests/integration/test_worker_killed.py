"""A worker killed with SIGKILL mid-step is replaced by another worker's attempt within seconds (#9 item 2).

worker.py runs as a process of its own; the sandbox holds one GitHub answer so that the worker is
killed while GitHub has its request. A fresh worker must take the step over after the heartbeat
timeout (ProcessSettings.heartbeat_timeout), not after the step's start-to-close timeout, and do
nothing twice. bench/recovery.py measures how long it takes.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal, ChangesReadySignal, HotfixStatus, Step
from hotfix.outcome import final_result
from local.humans import Humans, wait_for
from tests.integration.conftest import REPO, start, writes
from tests.integration.test_hotfix_dev_server import spawn_worker, worker_process_env  # noqa: F401
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration

MERGE = r"/repos/acme/gaia-gateway/pulls/\d+/merge"
# A short heartbeat timeout keeps the test short; the start-to-close timeouts stay long (an action's is
# its activity timeout plus an hour of write queue), so only the heartbeat can bring the takeover.
HEARTBEAT = timedelta(seconds=5)


async def at_approval(handle: WorkflowHandle, humans: Humans, *, nudge: bool = False) -> HotfixStatus:
    """The hotfix at PR approval; with `nudge`, a recheck each second meanwhile (for a long poll interval)."""
    status = await wait_for(handle, lambda s: s.step == Step.CHANGES, "changes", within=60)
    await asyncio.to_thread(humans.push_change, status.work_branch)
    await handle.signal(HotfixWorkflow.changes_ready, ChangesReadySignal(by="dev-1"))

    async def nudging() -> None:
        while True:
            await asyncio.sleep(1.0)
            await handle.signal(HotfixWorkflow.recheck)

    nudger = asyncio.ensure_future(nudging()) if nudge else None
    try:
        status = await wait_for(
            handle, lambda s: s.pull_request is not None and s.step == Step.APPROVAL, "PR"
        )
    finally:
        if nudger is not None:
            nudger.cancel()
    assert status.pull_request is not None
    return status


class Workers:
    """worker.py, then, after `kill_and_replace()`, a fresh one: the dead one killed with SIGKILL."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.procs: list[subprocess.Popen[bytes]] = [spawn_worker(env, log)]

    def kill_and_replace(self) -> None:
        self.procs[-1].kill()
        self.procs[-1].wait()
        self.procs.append(spawn_worker(self.env, self.log))

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=15)


async def held(sandbox: Any, method: str, pattern: str) -> None:
    deadline = time.monotonic() + 60
    while not [r for r in writes(sandbox, method, pattern) if r.get("fault")]:
        assert time.monotonic() < deadline, f"no {method} {pattern} reached GitHub"
        await asyncio.sleep(0.05)


async def heartbeat_timeouts(handle: WorkflowHandle, activity: str) -> set[timedelta]:
    """The heartbeat timeouts `activity` was scheduled with."""
    found = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            if attrs.activity_type.name == activity:
                found.add(attrs.heartbeat_timeout.ToTimedelta())
    return found


async def attempts_of(handle: WorkflowHandle, activity: str) -> list[tuple[int, int]]:
    """(attempt, timeout type of the failure before it) of each completed `activity`."""
    scheduled: dict[int, str] = {}
    started: dict[int, tuple[int, int]] = {}
    done = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            started[attrs.scheduled_event_id] = (
                attrs.attempt,
                attrs.last_failure.timeout_failure_info.timeout_type,
            )
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            sid = event.activity_task_completed_event_attributes.scheduled_event_id
            if scheduled.get(sid) == activity:
                done.append(started[sid])
    return done


@pytest.mark.slow  # 27 s of waiting out a dead worker's heartbeat; make test-all and CI run it
async def test_a_worker_killed_in_the_merge_is_replaced_and_the_pr_is_merged_once(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    worker_process_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    workers = Workers(worker_process_env, tmp_path / "worker.log")
    try:
        handle = await start(local_env.client, task_queue, unique, heartbeat_timeout=HEARTBEAT)
        humans = Humans(sandbox.api_url, REPO)
        status = await at_approval(handle, humans)
        assert status.pull_request is not None
        number = status.pull_request.number
        # GitHub merges, but the worker is dead before the answer comes back.
        sandbox.add_fault("PUT", MERGE, delay=2.0)
        await asyncio.to_thread(humans.approve_pull_request, number)
        await held(sandbox, "PUT", MERGE)
        workers.kill_and_replace()
        status = await wait_for(handle, lambda s: s.merged_sha is not None, "merge", within=45)
        assert len(writes(sandbox, "PUT", MERGE, 200)) == 1
        pr = sandbox.github().get_repo(REPO).get_pull(number)
        assert pr.merged and pr.merge_commit_sha == status.merged_sha
        # The fresh worker's attempt came after the dead one's heartbeat timed out.
        assert await attempts_of(handle, "merge_pull_request") == [(2, TimeoutType.TIMEOUT_TYPE_HEARTBEAT)]
        assert await heartbeat_timeouts(handle, "merge_pull_request") == {HEARTBEAT}
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
        await final_result(handle)
    finally:
        workers.close()


@pytest.mark.slow
async def test_a_worker_killed_in_a_look_is_replaced_and_the_wait_goes_on(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    worker_process_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    workers = Workers(worker_process_env, tmp_path / "worker.log")
    try:
        # A poll interval as long as production's: the takeover must not wait for it either.
        handle = await start(
            local_env.client,
            task_queue,
            unique,
            heartbeat_timeout=HEARTBEAT,
            poll_interval=timedelta(minutes=5),
        )
        humans = Humans(sandbox.api_url, REPO)
        status = await at_approval(handle, humans, nudge=True)
        assert status.pull_request is not None
        number = status.pull_request.number
        await asyncio.to_thread(humans.approve_pull_request, number)
        # The nudge makes the approval poll look at once; GitHub holds that look's answer.
        sandbox.add_fault("GET", rf"/repos/acme/gaia-gateway/pulls/{number}", delay=3.0)
        await handle.signal(HotfixWorkflow.recheck)
        await held(sandbox, "GET", rf"/repos/acme/gaia-gateway/pulls/{number}")
        workers.kill_and_replace()
        await wait_for(handle, lambda s: s.merged_sha is not None, "merge", within=45)
        looks = await attempts_of(handle, "wait_review")
        # The look the dead worker held completed as its second attempt, after its heartbeat timed out.
        assert (2, TimeoutType.TIMEOUT_TYPE_HEARTBEAT) in looks, looks
        assert await heartbeat_timeouts(handle, "wait_review") == {HEARTBEAT}
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
        await final_result(handle)
    finally:
        workers.close()
