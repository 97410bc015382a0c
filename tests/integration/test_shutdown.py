"""A stopping worker hands its polls back at once (#9 item 10): SIGTERM waits only for one-shot actions.

How long a stop takes is measured in bench/shutdown.py; this checks what happens to the poll.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from hotfix.models import AbortSignal
from hotfix.outcome import final_result
from local.humans import Humans
from tests.integration.conftest import REPO, hotfix_worker, start
from tests.integration.test_reviewed_only import to_approval
from workflows.hotfix import HotfixWorkflow

pytestmark = pytest.mark.integration


async def test_a_stopping_worker_hands_its_poll_back_instead_of_holding_it(
    local_env: WorkflowEnvironment, sandbox: Any, task_queue: str, unique: str
) -> None:
    async with hotfix_worker(local_env, sandbox, task_queue):
        handle = await start(local_env.client, task_queue, unique)
        await to_approval(handle, Humans(sandbox.api_url, REPO))
        await asyncio.sleep(0.5)  # the wait for a review is polling GitHub now
    # The worker has stopped (its graceful shutdown is over): the poll ended as a benign "not yet",
    # which Temporal retries wherever a worker polls, not cancelled at the end of the grace period.
    description = await handle.describe()
    polls = [
        p for p in description.raw_description.pending_activities if p.activity_type.name == "wait_review"
    ]
    assert polls, "the poll vanished"
    assert polls[0].last_failure.message.startswith("not yet: reviews of #"), polls[0].last_failure
    async with hotfix_worker(local_env, sandbox, task_queue):
        await handle.signal(HotfixWorkflow.abort, AbortSignal(reason="test over"))
        await final_result(handle)
