"""Fixtures for the integration tests: the real activities against the sandbox GitHub, on the real
Temporal dev server, with the humans played through the GitHub API by the seeded users."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.github.client import GitHubClient
from activities.registry import github_activities
from hotfix import naming
from hotfix.models import HotfixRequest, ProcessSettings
from hotfix.settings import WorkerSettings
from sandbox import apps
from sandbox.seed import APP, APP_ID, default_seed
from sandbox.testing import running_sandbox
from service.temporal import has_pollers
from tests.conftest import INTEGRATION_LATENCY
from tests.sandbox.contract import contract
from worker import build_worker
from workflows.hotfix import HotfixWorkflow

REPO = "acme/gaia-gateway"
# PyGithub addresses the deploy workflow by its numeric id or by its file name.
DISPATCH = r"/repos/acme/gaia-gateway/actions/workflows/[^/]+/dispatches"
ROOT = Path(__file__).resolve().parents[2]


def process(**overrides: Any) -> ProcessSettings:
    # Quick polls keep the humans' waits short; quicker than 0.4 s mostly spends the suite's two cores
    # on the sandbox and the dev server (0.2 s cost 14 s of CPU over the integration tests).
    defaults: dict[str, Any] = {
        "poll_interval": timedelta(seconds=0.4),
        "lane_watch_interval": timedelta(seconds=0.5),
        "activity_timeout": timedelta(seconds=20),
    }
    return ProcessSettings(**{**defaults, **overrides})


async def start(
    client: Client, task_queue: str, unique: str, *, cherry_picks: list[str] | None = None, **overrides: Any
) -> WorkflowHandle:
    request = HotfixRequest(
        repository=REPO,
        description=f"login loop {unique}",
        requested_by="dev-1",
        day=date(2026, 11, 23),
        cherry_picks=cherry_picks or [],
        settings=process(**overrides),
    )
    return await client.start_workflow(
        HotfixWorkflow.run,
        request,
        id=f"hotfix/{REPO}/it-{unique}",
        task_queue=task_queue,
    )


def worker_settings(
    sandbox: Any, task_queue: str, env: WorkflowEnvironment, **overrides: Any
) -> WorkerSettings:
    fields: dict[str, Any] = {"github_token": SecretStr("sandbox-bot-token"), **overrides}
    return WorkerSettings(
        temporal_address=env.client.service_client.config.target_host,
        task_queue=task_queue,
        github_url=sandbox.api_url,
        **fields,
    )


def as_the_app(sandbox: Any) -> dict[str, Any]:
    """WorkerSettings fields for the worker as the sandbox's GitHub App (instead of the bot's token)."""
    return {
        "github_token": None,
        "github_app_id": str(APP_ID),
        "github_app_private_key_file": apps.key_path(sandbox.sandbox.store.dir, APP),
    }


@pytest_asyncio.fixture(autouse=True)
async def fresh_lane(local_env: WorkflowEnvironment) -> AsyncIterator[None]:
    """Every test has its own task queue, so a lane left by an earlier test would have no worker."""
    yield
    with contextlib.suppress(RPCError):
        await local_env.client.get_workflow_handle(naming.lane_workflow_id(REPO)).terminate("test over")


@contextlib.asynccontextmanager
async def hotfix_worker(
    env: WorkflowEnvironment, sandbox: Any, task_queue: str, **overrides: Any
) -> AsyncIterator[None]:
    """The real worker (real activities, the bot's token) against `sandbox`; `overrides` are
    WorkerSettings fields (e.g. a short `github_timeout`)."""
    settings = worker_settings(sandbox, task_queue, env, **overrides)
    github = GitHubClient.from_settings(settings.model_copy(update={"github_write_interval": 0.0}))
    # The sandbox lists a dispatched run at once; GitHub may take seconds, hence the defaults.
    # The sandbox's longest injected delay is 3.5 s (the fault matrix), not GitHub's 10 s.
    activities = github_activities(
        github,
        dispatch_lookup_attempts=3,
        dispatch_lookup_interval=0.2,
        request_limit=timedelta(seconds=4),
        safety_net=settings.poll_safety_net,
        notify=bool(settings.notify_targets),
    )
    async with build_worker(env.client, settings, github, task_queue, activities=activities):
        # Under load the worker's first poll can reach the server after the test's first command,
        # and `start` does not wait for preflight on a task queue nobody polls yet.
        for _ in range(200):
            if await has_pollers(env.client, task_queue):
                break
            await asyncio.sleep(0.05)
        yield


@pytest_asyncio.fixture
async def worker(local_env: WorkflowEnvironment, sandbox: Any, task_queue: str) -> AsyncIterator[None]:
    async with hotfix_worker(local_env, sandbox, task_queue):
        yield


@contextlib.contextmanager
def seeded_sandbox(state: Path, change: Callable[[dict[str, Any]], None]) -> Iterator[Any]:
    """A sandbox whose default seed `change` edits first (e.g. a repository without protection).

    Its answers are checked against GitHub's OpenAPI description like the `sandbox` fixture's.
    """
    seed = default_seed()
    change(seed)
    with running_sandbox(
        state / "sandbox-state", seed, ci_seconds=0.2, deploy_seconds=0.3, validate=contract().check
    ) as handle:
        handle.set_settings(**INTEGRATION_LATENCY)
        yield handle
        problems = handle.contract_violations()
    if problems:
        pytest.fail("sandbox answers that break GitHub's OpenAPI description:\n" + "\n".join(problems[:40]))


def writes(sandbox: Any, method: str, pattern: str, status: int | None = None) -> list[dict[str, Any]]:

    return [
        r
        for r in sandbox.requests()
        if r["method"] == method
        and re.fullmatch(pattern, r["path"].removeprefix("/api/v3"))
        and (status is None or r["status"] == status)
    ]


def prod_deployments(sandbox: Any) -> list[Any]:
    repo = sandbox.github().get_repo(REPO)
    return list(repo.get_deployments(environment="prod"))
