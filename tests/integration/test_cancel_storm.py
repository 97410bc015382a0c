"""A storm of cancellations cannot freeze the worker (#16).

GitHub activities of both shapes (a one-shot action whose blocking calls run in a GitHub thread, and
a polling wait that sleeps on the loop) are cancelled at random moments, thousands of times, while
they log through the root handler and call the sandbox, in the same process, on the same event loop
and GitHub threads as a real hotfix. Before #16 the worker cancelled such an action by raising inside
its thread, and one of these storms was enough to leak logging's lock and freeze everything.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.github import threads
from activities.github.client import GitHubClient
from activities.registry import github_activities
from hotfix.models import Step
from local.humans import Humans, play_happy_path, wait_for
from tests.integration.conftest import REPO, start, worker_settings
from tests.integration.storm import CancelStorm, StormActivities, Tally
from worker import build_worker
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration

# Through Temporal (the SDK cancels an async activity's task when the cancel reaches the worker): 96.
WORKFLOWS = 6
ROUNDS = 4
# Straight at the one mechanism every GitHub activity uses (GitHubThreads.run, cancelled as the SDK
# cancels it, task.cancel()), at random moments while the call logs and talks to the sandbox: 2,000.
DIRECT = 2000


async def test_a_storm_of_cancellations_leaves_the_worker_answering_and_working(
    local_env: WorkflowEnvironment,
    sandbox: Any,
    task_queue: str,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Beat (and so learn of a cancel) every 50 ms instead of 2 s: more cancels land mid-work.
    monkeypatch.setattr(threads, "BEAT_EVERY", 0.05)
    settings = worker_settings(sandbox, task_queue, local_env)
    github = GitHubClient.from_settings(settings.model_copy(update={"github_write_interval": 0.0}))
    tally = Tally()
    storm = StormActivities(github, tally)
    storm_queue = f"storm-{uuid.uuid4().hex[:8]}"
    throttle = timedelta(milliseconds=50)
    try:
        async with (
            build_worker(
                local_env.client, settings, github, task_queue, activities=github_activities(github)
            ),
            Worker(
                local_env.client,
                task_queue=storm_queue,
                workflows=[CancelStorm],
                activities=[storm.in_thread, storm.polling],
                max_heartbeat_throttle_interval=throttle,
                default_heartbeat_throttle_interval=throttle,
            ),
        ):
            hotfix = await start(local_env.client, task_queue, unique)
            await wait_for(hotfix, lambda s: s.step == Step.CHANGES, "step 3 (changes)")
            began = time.monotonic()
            storms = [
                await local_env.client.start_workflow(
                    CancelStorm.run, ROUNDS, id=f"storm-{unique}-{i}", task_queue=storm_queue
                )
                for i in range(WORKFLOWS)
            ]
            direct_storming = asyncio.ensure_future(direct_storm(storm))
            # The people play their part meanwhile: the hotfix must go all the way through the storm.
            humans = Humans(sandbox.api_url, REPO)
            finishing = asyncio.ensure_future(play_happy_path(local_env.client, hotfix.id, humans))
            slowest = 0.0
            while not direct_storming.done() or not all(await asyncio.gather(*(done(h) for h in storms))):
                asked = time.monotonic()
                status = await asyncio.wait_for(hotfix.query(HotfixWorkflow.status), 10)
                slowest = max(slowest, time.monotonic() - asked)
                assert status.workflow_id == hotfix.id
                await asyncio.sleep(0.3)
            direct = await direct_storming
            requested = sum([await h.result() for h in storms])
            storm_seconds = time.monotonic() - began
            assert requested == WORKFLOWS * ROUNDS * 4
            # The storm reached the worker: activities ran, and many learned mid-work that they were
            # cancelled (the rest were cancelled before they began or after they finished).
            assert tally.begun > WORKFLOWS * ROUNDS
            assert tally.cancelled_await + tally.abandoned_thread > WORKFLOWS * ROUNDS, tally
            assert tally.abandoned_thread > 0 and tally.cancelled_await > 0, tally
            assert direct > DIRECT // 2, f"only {direct} of the direct cancels landed mid-call"
            # Still answering and still working: the hotfix went (or goes) all the way.
            final = await finishing
            assert final.step == Step.DONE
            after = await asyncio.wait_for(hotfix.query(HotfixWorkflow.status), 10)
            assert after.step == Step.DONE
            print(f"storm: {tally}, {direct} direct, {storm_seconds:.1f} s, slowest query {slowest:.2f} s")
    finally:
        github.close()


async def direct_storm(storm: StormActivities) -> int:
    """DIRECT calls in GitHub threads, each cancelled after a random 0-20 ms; how many were mid-call."""
    rng = random.Random(16)
    landed = 0
    for batch in range(DIRECT // 50):
        calls = [asyncio.ensure_future(storm.github_threads.run(storm.look, batch)) for _ in range(50)]
        await asyncio.sleep(rng.uniform(0, 0.02))
        for call in calls:
            if not call.done():
                landed += 1
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
    return landed


async def done(handle: Any) -> bool:
    from temporalio.client import WorkflowExecutionStatus

    return (await handle.describe()).status != WorkflowExecutionStatus.RUNNING
