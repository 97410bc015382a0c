"""The `server` fixture: the dev server with a worker of this test on a fresh task queue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest_asyncio
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from hotfix.settings import WorkerSettings
from service.temporal import has_pollers
from tests.cli.support import Server
from tests.workflows.fake_github import FakeActivities, FakeGitHub
from worker import build_worker


@pytest_asyncio.fixture
async def server(local_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Server]:
    github = FakeGitHub()
    worker = build_worker(
        local_env.client,
        WorkerSettings(github_token=SecretStr("unused-by-doubles")),
        task_queue=task_queue,
        activities=FakeActivities(github).all(),
    )
    async with worker:
        # The CLI refuses a task queue nobody polls yet; a worker registers its first poll a moment
        # after it starts.
        for _ in range(200):
            if await has_pollers(local_env.client, task_queue):
                break
            await asyncio.sleep(0.025)
        else:
            raise AssertionError(f"the test worker never polled {task_queue}")
        yield Server(local_env, task_queue, github)
