"""Fixtures for workflow tests: a worker with activity doubles on the time-skipping server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest_asyncio
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.lane import LaneActivities
from hotfix import naming, search_attributes
from hotfix.models import HotfixRequest, HotfixStatus, ProcessSettings, RollbackRequest, Step
from local.environments import time_skipping_server
from tests.workflows.fake_github import FakeActivities, FakeGitHub
from workflows.hotfix import HotfixWorkflow
from workflows.lane import LaneWorkflow
from workflows.rollback import RollbackWorkflow

DAY = date(2026, 11, 23)
SETTINGS = ProcessSettings(
    poll_interval=timedelta(hours=1),
    # A watch is a running activity, and days skipped past its heartbeat timeout would make the
    # time-skipping server retry it thousands of times: the lane watch is tested on the dev server.
    lane_watch_interval=timedelta(0),
    reminder_interval=timedelta(hours=4),
    ui_base_url="http://localhost:8233",
)


@dataclass
class Harness:
    env: WorkflowEnvironment
    gh: FakeGitHub
    task_queue: str
    unique: str
    started: list[str] = field(default_factory=list)

    async def start(self, description: str = "login returns 500", **kwargs: object) -> WorkflowHandle:
        request = HotfixRequest(
            repository=kwargs.pop("repository", f"acme/gaia-{self.unique}"),  # type: ignore[arg-type]
            description=description,
            requested_by="dev-1",
            day=DAY,
            settings=kwargs.pop("settings", SETTINGS),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )
        handle = await self.env.client.start_workflow(
            HotfixWorkflow.run,
            request,
            id=f"hotfix-test/{self.unique}/{description}",
            task_queue=self.task_queue,
            # As the starter does (cli/start.py): listed from the start, before any workflow task.
            search_attributes=search_attributes.at_start(request.repository, request.incident),
        )
        self.started += [handle.id, naming.lane_workflow_id(request.repository)]
        return handle

    async def start_rollback(
        self, reason: str = "login fix made it worse", **kwargs: object
    ) -> WorkflowHandle:
        request = RollbackRequest(
            repository=kwargs.pop("repository", f"acme/gaia-{self.unique}"),  # type: ignore[arg-type]
            reason=reason,
            requested_by="oncall-1",
            day=DAY,
            slug=naming.slugify(reason),
            settings=kwargs.pop("settings", SETTINGS),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )
        handle = await self.env.client.start_workflow(
            RollbackWorkflow.run,
            request,
            id=f"rollback-test/{self.unique}/{reason}",
            task_queue=self.task_queue,
            search_attributes=search_attributes.at_start(request.repository, request.incident),
        )
        self.started += [handle.id, naming.lane_workflow_id(request.repository)]
        return handle

    async def terminate_leftovers(self) -> None:
        # Time skipping is global: a workflow left waiting on a worker that is gone would hold the
        # clock of every later test.
        for workflow_id in self.started:
            with contextlib.suppress(RPCError):
                await self.env.client.get_workflow_handle(workflow_id).terminate("test over")

    async def reach(
        self,
        handle: WorkflowHandle,
        step: Step,
        condition: Callable[[HotfixStatus], bool] = lambda _: True,
    ) -> HotfixStatus:
        """Wait (in real time, bounded) until the workflow shows `step`; a bound, not a timing check."""
        status = None
        for _ in range(400):
            status = await handle.query(HotfixWorkflow.status)
            if status.step == step and condition(status):
                # The time-skipping server loses an activity that a signal's workflow task cancels in
                # the instant it is scheduled (ACTIVITY_UNKNOWN; the dev server does not). People
                # are never that fast, so let the workflow settle before the test acts.
                await asyncio.sleep(0.1)
                return status
            await asyncio.sleep(0.025)
        raise AssertionError(f"never reached {step}: last status {status}")


@pytest_asyncio.fixture(scope="module")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test module. Under load the test server now and then stops
    skipping time after a workflow task it refused ("invalid history builder state"); a server per
    module keeps that from failing the other modules' tests too (test_lane did, behind test_notify)."""
    async with time_skipping_server() as env:
        yield env


@pytest_asyncio.fixture
async def harness(ts_env: WorkflowEnvironment, task_queue: str, unique: str) -> AsyncIterator[Harness]:
    gh = FakeGitHub()
    fakes = FakeActivities(gh)
    lane = LaneActivities(ts_env.client, task_queue)
    async with Worker(
        ts_env.client,
        task_queue=task_queue,
        workflows=[HotfixWorkflow, RollbackWorkflow, LaneWorkflow],
        activities=[*fakes.all(), lane.enqueue, lane.hotfix_alive, lane.watch_lane, lane.mid_deploy],
    ):
        harness = Harness(ts_env, gh, task_queue, unique)
        yield harness
        await harness.terminate_leftovers()
