"""Backpressure (service/backpressure.py): a burst waits in Temporal's task queue, not inside the
worker's activities, so the write gate's queue never makes an activity time out (#16 item 2)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.github.client import GitHubClient
from service.backpressure import GitHubBackpressure
from tests.integration.conftest import worker_settings
from tests.service.burst_of_writes import BranchWriter, BurstOfWrites
from worker import tuner


@dataclass
class Backlog:
    waiting: int = 0


CTX: Any = None  # the supplier reads nothing of the reservation's context


async def test_no_slot_is_given_while_the_github_threads_are_behind() -> None:
    backlog = Backlog(waiting=4)
    supplier = GitHubBackpressure(slots=2, threads=backlog, backlog=4)
    assert supplier.try_reserve_slot(CTX) is None  # no eager activity either
    waiting = asyncio.ensure_future(supplier.reserve_slot(CTX))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    backlog.waiting = 3
    await asyncio.wait_for(waiting, 1)
    assert supplier.used == 1 and supplier.held_back == 1
    # And never more than `slots` at once, backlog or not.
    assert supplier.try_reserve_slot(CTX) is not None
    assert supplier.try_reserve_slot(CTX) is None
    supplier.release_slot(CTX)
    assert supplier.try_reserve_slot(CTX) is not None


# Forty one-write activities at once, each with 6 s to close, at a write gate of one write per 0.2 s
# on two GitHub threads: the last write comes about 8 s after the first. Taken all at once (what a
# worker did before), the later ones wait out their timeout inside the worker; under backpressure
# one waits behind at most about 2 + 2 + 5 others (backlog, threads, pre-reserved pollers): ~2 s.
WRITES, TIMEOUT, INTERVAL = 40, 6.0, 0.2


async def burst(env: WorkflowEnvironment, sandbox: Any, unique: str, *, backpressure: bool) -> int:
    task_queue = f"burst-{uuid.uuid4().hex[:8]}"
    settings = worker_settings(
        sandbox, task_queue, env, github_threads=2, github_backlog=2, github_write_interval=INTERVAL
    )
    github = GitHubClient.from_settings(settings)
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=[BurstOfWrites],
            activities=[BranchWriter(github).create_branch],
            tuner=tuner(settings, github.threads if backpressure else None),
        ):
            timed_out: int = await env.client.execute_workflow(
                BurstOfWrites.run,
                args=[f"burst-{unique}-{int(backpressure)}", WRITES, TIMEOUT],
                id=f"burst-{unique}-{int(backpressure)}",
                task_queue=task_queue,
            )
    finally:
        github.close()
    return timed_out


@pytest.mark.integration
@pytest.mark.slow  # make test keeps the cancellation storm (tests/integration/test_cancel_storm.py)
async def test_a_burst_of_writes_waits_in_temporal_and_no_activity_times_out(
    local_env: WorkflowEnvironment, sandbox: Any, unique: str
) -> None:
    # The fault first: without backpressure the same burst times activities out.
    assert await burst(local_env, sandbox, unique, backpressure=False) > 0
    assert await burst(local_env, sandbox, unique, backpressure=True) == 0
    # Every write happened once, one at a time (the gate), whether or not it had to wait.
    created = [r for r in sandbox.requests() if r["method"] == "POST" and r["path"].endswith("/git/refs")]
    assert len([r for r in created if r.get("status") == 201]) >= WRITES
